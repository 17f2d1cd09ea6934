// `mnist predict` (predict.hpp), in a translation unit of its own.
#include "settings.hpp"
#include "predict.hpp"

int mnist::predict_main(const PredictSettings& s) { return run_predict(s); }
