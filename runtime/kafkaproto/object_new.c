/* kafkaproto.object_new, compiled: make(cls), an instance of cls with nothing set and none of its
 * __init__ run, as object.__new__(cls) makes it. object_new.py beside this file is the reference
 * (and runs where this extension is not built, as object.__new__ itself).
 *
 * Built with the mypyc modules (hatch_build.py, kafkaproto.compiled.C_MODULES). The thread-safe
 * producer makes one future per record this way: calling the class from compiled code runs the
 * type's generic call and its __init__ slot, this goes straight to the type's allocator. A class
 * that has a __new__ of its own somewhere, or that refuses object.__new__, goes to
 * object.__new__ itself, so both builds accept and refuse the same classes. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* object.__new__, looked up once (make's fallback). */
static PyObject *object_new_function = NULL;

static PyObject *
make(PyObject *module, PyObject *cls)
{
    if (PyType_Check(cls)) {
        PyTypeObject *type = (PyTypeObject *)cls;
        /* What object.__new__(cls) does when neither cls nor a base overrides __new__: refuse an
         * abstract class, else the type's allocator (zeroed, tracked by the collector). */
        if (type->tp_new == PyBaseObject_Type.tp_new &&
            !(type->tp_flags & Py_TPFLAGS_IS_ABSTRACT)) {
            return type->tp_alloc(type, 0);
        }
    }
    return PyObject_CallOneArg(object_new_function, cls);
}

static PyMethodDef methods[] = {
    {"make", (PyCFunction)make, METH_O,
     "make(cls): an instance of cls with nothing set, as object.__new__(cls) makes it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "kafkaproto.object_new",
    "Instances made without their __init__ (compiled; see object_new.py).",
    0,
    methods,
};

PyMODINIT_FUNC
PyInit_object_new(void)
{
    if (object_new_function == NULL) {
        object_new_function = PyObject_GetAttrString((PyObject *)&PyBaseObject_Type, "__new__");
        if (object_new_function == NULL) {
            return NULL;
        }
    }
    return PyModule_Create(&module_def);
}
