// Clusters as data: a catalog node (one system file) times a node count, joined by a fabric
// (NICs per node on a rail-optimised or fat-tree network). Expanded here into one System whose
// parts are named n<i>.<part>, so the platform, placement and collectives treat a cluster like
// any other system and route inter-node traffic over the fabric's links.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "hwmodels/system.hpp"

namespace llmsim::hwmodels {

/// Whether a parsed system file describes a cluster (it names a `node`).
bool is_cluster(const YAML::Node& root);

/// Reads a cluster file (docs/hardware-schema.md, "Clusters"); the node is the catalog file
/// `<node>.yaml` next to it. InputError naming file and key on a bad node count, a fabric
/// without its links' numbers, or a NIC faster than the PCIe slot it sits in without a note.
System read_cluster(const std::string& file, const YAML::Node& root);

}  // namespace llmsim::hwmodels
