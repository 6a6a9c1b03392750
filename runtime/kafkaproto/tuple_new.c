/* kafkaproto.tuple_new, compiled: make(cls, items), an instance of a tuple subclass made from its
 * items without the class's own __new__. tuple_new.py beside this file is the reference (and runs
 * where this extension is not built); both raise TypeError when cls is not a tuple type.
 *
 * Built with the mypyc modules (hatch_build.py, kafkaproto.compiled.C_MODULES). The decoders call
 * make() once per struct and per record: tuple.__new__ reached from compiled code makes three
 * temporary tuples first, this allocates the instance and fills it. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyTypeObject *
tuple_type(PyObject *cls)
{
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &PyTuple_Type)) {
        PyErr_Format(PyExc_TypeError, "%R is not a subtype of tuple", cls);
        return NULL;
    }
    return (PyTypeObject *)cls;
}

static PyObject *
filled(PyTypeObject *type, PyObject *const *items, Py_ssize_t n)
{
#if PY_VERSION_HEX >= 0x030E0000
    /* From 3.14 a tuple caches its hash in the object: leave making it to tuple's own
     * constructor (still without the class's __new__), at the cost of one temporary. */
    PyObject *plain = PyTuple_New(n);
    if (plain == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTuple_SET_ITEM(plain, i, Py_NewRef(items[i]));
    }
    PyObject *args = PyTuple_Pack(1, plain);
    Py_DECREF(plain);
    if (args == NULL) {
        return NULL;
    }
    PyObject *obj = PyTuple_Type.tp_new(type, args, NULL);
    Py_DECREF(args);
    return obj;
#else
    /* What tuple's constructor does for a subclass once it has the items: the type's allocator
     * (zeroed, tracked by the collector, which skips the empty slots), then each slot. */
    PyObject *obj = type->tp_alloc(type, n);
    if (obj == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTuple_SET_ITEM(obj, i, Py_NewRef(items[i]));
    }
    return obj;
#endif
}

static PyObject *
make(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "make() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    PyTypeObject *type = tuple_type(args[0]);
    if (type == NULL) {
        return NULL;
    }
    PyObject *items = args[1];
    if (PyList_CheckExact(items)) {
        return filled(type, ((PyListObject *)items)->ob_item, PyList_GET_SIZE(items));
    }
    if (PyTuple_CheckExact(items)) {
        return filled(type, ((PyTupleObject *)items)->ob_item, PyTuple_GET_SIZE(items));
    }
    PyErr_Format(PyExc_TypeError, "make() items must be a list or a tuple, not %.100s",
                 Py_TYPE(items)->tp_name);
    return NULL;
}

static PyMethodDef methods[] = {
    {"make", (PyCFunction)(void (*)(void))make, METH_FASTCALL,
     "make(cls, items): a cls (a subclass of tuple) holding items (a list or a tuple) in order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "kafkaproto.tuple_new",
    "Instances of tuple subclasses made from their items (compiled; see tuple_new.py).",
    0,
    methods,
};

PyMODINIT_FUNC
PyInit_tuple_new(void)
{
    return PyModule_Create(&module_def);
}
