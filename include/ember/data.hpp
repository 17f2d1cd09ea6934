#pragma once
// ember's data add-on: data sets in memory, the DataLoader (shuffling, batching, augmentation),
// IDX files (raw or gzip-compressed) and MNIST. Needs what the engine needs (zlib decompresses
// the .gz files). CMake: target ember::data; pkg-config: ember-data.

#include "ember/ember.hpp"

#include "ember/data/dataloader.hpp"
#include "ember/data/dataset.hpp"
#include "ember/data/idx.hpp"
#include "ember/data/mnist.hpp"
#include "ember/data/transforms.hpp"
