#include "src/parallel/world.hpp"

#include <cstdio>
#include <vector>

#include "src/parallel/transport.hpp"

namespace zgen::parallel {

World& world() {
  static World w;
  return w;
}

Session::Session(int& argc, char**& argv) {
  started_ = transport::start(argc, argv);
  if (started_) {
    world().rank_ = transport::rank();
    world().size_ = transport::size();
  }
}

Session::~Session() {
  if (started_) transport::stop();
}

void World::sum(std::span<float> values) {
  if (size_ > 1) transport::sum_in_rank_order(values.data(), values.size());
}

void World::sum(std::span<double> values) {
  if (size_ > 1) transport::sum_in_rank_order(values.data(), values.size());
}

void World::agree(const std::optional<Failure>& mine) {
  if (size_ == 1) {
    if (!mine) return;
    std::fprintf(stderr, "zgen: %s\n", mine->message.c_str());
    throw Stopped{mine->code};
  }
  // One slot per process: 0 when it did its part, else its exit code (2 or 3).
  std::vector<double> codes(static_cast<std::size_t>(size_), 0.0);
  codes[static_cast<std::size_t>(rank_)] = mine ? mine->code : 0;
  sum(codes);
  int first = -1;
  for (int r = 0; r < size_ && first < 0; ++r)
    if (codes[static_cast<std::size_t>(r)] != 0) first = r;
  if (first < 0) return;
  std::string message = rank_ == first ? mine->message : std::string();
  if (first != 0) transport::broadcast(message, first);
  if (rank_ == 0) {
    if (first == 0) std::fprintf(stderr, "zgen: %s\n", message.c_str());
    else std::fprintf(stderr, "zgen: (process %d) %s\n", first, message.c_str());
    std::fflush(stderr);
  }
  throw Stopped{static_cast<int>(codes[static_cast<std::size_t>(first)])};
}

void World::broadcast(std::vector<std::uint8_t>& bytes, int root) {
  if (size_ > 1) transport::broadcast(bytes, root);
}

std::vector<std::uint8_t> World::scatter(const std::vector<std::vector<std::uint8_t>>& parts, int root) {
  return size_ > 1 ? transport::scatter(parts, root) : parts.at(0);
}

std::vector<std::vector<std::uint8_t>> World::gather(const std::vector<std::uint8_t>& mine, int root) {
  return size_ > 1 ? transport::gather(mine, root) : std::vector<std::vector<std::uint8_t>>{mine};
}

void World::abort(int code) { transport::abort(code); }

}  // namespace zgen::parallel
