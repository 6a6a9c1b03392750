/* kafkaproto.records.bytes_into, compiled: put(buf, at, *parts), the parts copied into a
 * bytearray from an offset, the buffer grown when they run past its end. bytes_into.py beside
 * this file is the reference (and runs where this extension is not built); both raise the same
 * errors for the same bad arguments.
 *
 * Built with the mypyc modules (hatch_build.py, kafkaproto.compiled.C_MODULES). The batch builder
 * calls put() once per record: from Python every way to write into a bytearray makes objects
 * first (a joined bytes, a temporary bytearray, a re-allocated buffer); this copies each part
 * into place. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* The parts that are not exact bytes (bytearray, memoryview...): joined, then copied as one. */
static PyObject *
joined(PyObject *const *parts, Py_ssize_t n)
{
    PyObject *tuple = PyTuple_New(n);
    if (tuple == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTuple_SET_ITEM(tuple, i, Py_NewRef(parts[i]));
    }
    PyObject *empty = PyBytes_FromStringAndSize(NULL, 0);
    if (empty == NULL) {
        Py_DECREF(tuple);
        return NULL;
    }
    PyObject *data = PyObject_CallMethod(empty, "join", "(O)", tuple);
    Py_DECREF(empty);
    Py_DECREF(tuple);
    return data;
}

/* Room for bytes up to end: twice the buffer's size, or end if that is more. */
static int
grow(PyObject *buf, Py_ssize_t size, Py_ssize_t end)
{
    Py_ssize_t room = size <= PY_SSIZE_T_MAX / 2 ? 2 * size : PY_SSIZE_T_MAX;
    return PyByteArray_Resize(buf, room > end ? room : end);
}

static PyObject *
put(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 2) {
        PyErr_Format(PyExc_TypeError, "put() takes at least 2 arguments (%zd given)", nargs);
        return NULL;
    }
    PyObject *buf = args[0];
    if (!PyByteArray_Check(buf)) {
        PyErr_Format(PyExc_TypeError, "put() needs a bytearray, not %.100s",
                     Py_TYPE(buf)->tp_name);
        return NULL;
    }
    Py_ssize_t at = PyLong_AsSsize_t(args[1]);
    if (at == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t size = PyByteArray_GET_SIZE(buf);
    if (at < 0 || at > size) {
        PyErr_Format(PyExc_ValueError, "offset %zd is outside the buffer (%zd bytes)", at, size);
        return NULL;
    }
    PyObject *const *parts = args + 2;
    Py_ssize_t n = nargs - 2;
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyBytes_CheckExact(parts[i])) {
            /* Not all bytes: the general case, as b"".join takes them. */
            PyObject *data = joined(parts, n);
            if (data == NULL) {
                return NULL;
            }
            Py_ssize_t len = PyBytes_GET_SIZE(data);
            if (len > size - at && grow(buf, size, at + len) < 0) {
                Py_DECREF(data);
                return NULL;
            }
            memcpy(PyByteArray_AS_STRING(buf) + at, PyBytes_AS_STRING(data), (size_t)len);
            Py_DECREF(data);
            Py_RETURN_NONE;
        }
        Py_ssize_t len = PyBytes_GET_SIZE(parts[i]);
        if (len > PY_SSIZE_T_MAX - at - total) {
            return PyErr_NoMemory();
        }
        total += len;
    }
    if (total > size - at && grow(buf, size, at + total) < 0) {
        return NULL;
    }
    char *out = PyByteArray_AS_STRING(buf) + at;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len = PyBytes_GET_SIZE(parts[i]);
        memcpy(out, PyBytes_AS_STRING(parts[i]), (size_t)len);
        out += len;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"put", (PyCFunction)(void (*)(void))put, METH_FASTCALL,
     "put(buf, at, *parts): copy parts into buf (a bytearray) from offset at, growing it as\n"
     "needed."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "kafkaproto.records.bytes_into",
    "Bytes copied into a bytearray at an offset (compiled; see bytes_into.py).",
    0,
    methods,
};

PyMODINIT_FUNC
PyInit_bytes_into(void)
{
    return PyModule_Create(&module_def);
}
