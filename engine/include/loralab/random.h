// Deterministic randomness shared by the whole engine: splitmix64 (mixing and seeding) and
// xoshiro256** (streams). Written from the published algorithm descriptions so that the same seed
// gives the same numbers on every platform and standard library (std:: distributions are not
// specified bit for bit) — the bundled corpora, data order, dropout and sampling rely on it.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace loralab {

// One step of splitmix64: advances `state` and returns a well-mixed 64-bit value.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// splitmix64 as a stateless hash of one value (counter-based streams, per-name seeds).
inline uint64_t mix64(uint64_t value) { return splitmix64(value); }

// FNV-1a over bytes, so that a name can take part in a seed without depending on std::hash.
inline uint64_t fnv1a(const char* data, size_t size) {
  uint64_t hash = 0xCBF29CE484222325ULL;
  for (size_t i = 0; i < size; ++i) hash = (hash ^ static_cast<unsigned char>(data[i])) * 0x100000001B3ULL;
  return hash;
}

// xoshiro256** seeded through splitmix64.
class SeededRng {
 public:
  explicit SeededRng(uint64_t seed) {
    // splitmix64 never yields four zero words from one seed, so the state is valid.
    for (uint64_t& word : s_) word = splitmix64(seed);
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
  uint64_t below(uint64_t bound);  // uniform in [0, bound), unbiased; throws for bound 0
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1), 53 bits
  template <typename T>
  void shuffle(std::vector<T>& items) {  // Fisher-Yates
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[size_t(below(i))]);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// A seed for an independent stream (e.g. one per epoch) derived from a base seed.
uint64_t derive_seed(uint64_t seed, uint64_t stream);

}  // namespace loralab
