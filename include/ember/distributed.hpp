#pragma once
// ember's distributed add-on: data-parallel training over MPI. A Session starts MPI, a
// Communicator carries the collectives (sums, broadcasts, gathers), broadcast_parameters and
// GradientReducer keep the ranks' copies of a model identical, and the DataLoader's shard
// options (ember/data/dataloader.hpp) give each rank its part of every epoch. Needs an MPI
// library (Debian: libopenmpi-dev, openmpi-bin for mpirun). CMake: target ember::distributed;
// pkg-config: ember-distributed. See docs/distributed.md.

#include "ember/ember.hpp"

#include "ember/distributed/communicator.hpp"
#include "ember/distributed/parameters.hpp"
#include "ember/distributed/session.hpp"
