// `mnist export` (export_onnx.hpp), in a translation unit of its own.
#include "settings.hpp"
#include "export_onnx.hpp"

int mnist::export_main(const ExportSettings& s) { return run_export(s); }
