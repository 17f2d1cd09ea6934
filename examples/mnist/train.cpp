// `mnist train` (train.hpp), in a translation unit of its own.
#include "settings.hpp"
#include "train.hpp"

int mnist::train_main(const TrainSettings& s) { return run_train(s); }
