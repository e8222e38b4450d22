/* Stand-ins for the 9 C symbols TensorRT's Python bindings (tensorrt.so of the
 * tensorrt-cu12-bindings 10.x / tensorrt-cu13-bindings 11.x wheels) import from libnvinfer,
 * libnvonnxparser and libnvinfer_plugin (`nm -D --undefined-only tensorrt.so` lists them).
 *
 * Compiled as libnvinfer.so.N, libnvonnxparser.so.N and libnvinfer_plugin.so.N, they let
 * `import tensorrt` succeed on a machine without TensorRT, so that every class, method
 * signature (pybind11 __doc__) and enum value of the real module can be read. Every factory
 * returns NULL: the bindings then raise "factory function returned nullptr" and nothing can be
 * built or run. See scripts/trt_api/generate.py and docs/tensorrt/notes.md.
 */
#include <stddef.h>
#include <stdint.h>

void *createInferBuilder_INTERNAL(void *logger, int32_t version) { return NULL; }
void *createInferRuntime_INTERNAL(void *logger, int32_t version) { return NULL; }
void *createInferRefitter_INTERNAL(void *engine, void *logger, int32_t version) { return NULL; }
void *getPluginRegistry(void) { return NULL; }
void *getBuilderPluginRegistry(int32_t capability) { return NULL; }
int initLibNvInferPlugins(void *logger, const char *lib_namespace) { return 0; }
void *createNvOnnxParser_INTERNAL(void *network, void *logger, int32_t version) { return NULL; }
void *createNvOnnxParserRefitter_INTERNAL(void *refitter, void *logger, int32_t version) { return NULL; }
int getNvOnnxParserVersion(void) { return 0; }
