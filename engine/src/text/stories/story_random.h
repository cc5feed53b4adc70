// Seeded random numbers for the story generator, on the engine's splitmix64 / xoshiro256**
// (loralab/random.h): the bundled corpora must be identical everywhere.
#pragma once
#include <cstdint>
#include <cstring>

#include "loralab/random.h"

namespace loralab::stories {

inline uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t state = a ^ (b * 0xD6E8FEB86659FD93ULL);
  splitmix64(state);
  return splitmix64(state);
}

inline uint64_t fnv1a(const char* text) { return loralab::fnv1a(text, std::strlen(text)); }

// The engine's SeededRng stream with the generator's own bounded draw. Its rejection rule differs
// from SeededRng::below and is kept as it is: the bundled corpora were generated with it.
class StoryRandom {
 public:
  explicit StoryRandom(uint64_t seed) : rng_(seed) {}

  uint64_t next() { return rng_.next(); }

  // Uniform in [0, n) without modulo bias (rejection of the short top range). n > 0.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t value;
    do value = next();
    while (value >= limit);
    return value % n;
  }

  bool coin() { return (next() >> 63) != 0; }

 private:
  SeededRng rng_;
};

}  // namespace loralab::stories
