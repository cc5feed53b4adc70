// Seeded random numbers for the story generator. Hand-written (splitmix64 for seeding,
// xoshiro256** for the stream) because the std:: distributions give different numbers on
// different standard libraries, and the bundled corpora must be identical everywhere.
#pragma once
#include <cstdint>

namespace loralab::stories {

// One step of splitmix64: a good 64-bit mixer, also used to derive per-story seeds.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t state = a ^ (b * 0xD6E8FEB86659FD93ULL);
  splitmix64(state);
  return splitmix64(state);
}

// FNV-1a, so a style name can take part in a seed without depending on std::hash.
inline uint64_t fnv1a(const char* text) {
  uint64_t hash = 0xCBF29CE484222325ULL;
  for (; *text; ++text) hash = (hash ^ static_cast<unsigned char>(*text)) * 0x100000001B3ULL;
  return hash;
}

class StoryRandom {
 public:
  explicit StoryRandom(uint64_t seed) {
    uint64_t state = seed;
    for (auto& word : s_) word = splitmix64(state);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

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
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace loralab::stories
