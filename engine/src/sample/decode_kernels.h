// Float32 kernels for batch-1 decoding: one token through a small decoder is a chain of
// matrix-vector products and short vector passes, where a framework's per-operation dispatch,
// allocation and threading cost more than the arithmetic (a 4M-parameter model spends ~2.5 ms a
// token in LibTorch ops against ~0.5 ms of memory traffic). These work on raw row-major arrays
// and pick an AVX2+FMA build at run time when the CPU has it. Torch-free; engine-internal.
#pragma once
#include <cstdint>

namespace loralab::sample::kernels {

// y[r] = Σ_c w[r·cols + c] · x[c] for r < rows (w row-major, rows × cols). y must not alias x.
void matvec(const float* w, const float* x, float* y, int64_t rows, int64_t cols);
// y[r] += scale · Σ_c w[r·cols + c] · x[c].
void matvec_add(const float* w, const float* x, float* y, int64_t rows, int64_t cols, float scale);

// y[r] += Σ_j z[j] · bt[j·rows + r] for r < rows: the product of a (rows × n) matrix stored
// transposed (n rows of `rows` floats) with z, added as n scaled row passes over y. This is how a
// low-rank B is applied: no horizontal sums, whatever the rank n.
void add_transposed(const float* bt, const float* z, float* y, int64_t rows, int64_t n);

// out = weight ⊙ x / sqrt(mean(x²) + eps), as LLaMA's RMSNorm (float32 throughout).
void rms_norm(const float* x, const float* weight, float* out, int64_t n, double eps);

// Rotates each of `heads` vectors of `head_dim` in place (split halves, as transformers'
// rotate_half): v = v ⊙ cos + swap_halves(v) ⊙ signed_sin, then multiplies by `scale`.
// signed_sin carries rotate_half's sign (first half negated), as model::RotaryTable stores it.
void rotary(float* v, int64_t heads, int64_t head_dim, const float* cos, const float* signed_sin,
            float scale);

// Attention of one query vector q (head_dim, already scaled) over keys/values [0, positions) of
// one key-value head, stored as rows of head_dim: out = softmax(K q) V. `scores` holds at least
// `positions` floats of scratch.
void attend(const float* q, const float* keys, const float* values, int64_t positions,
            int64_t head_dim, float* scores, float* out);

// gate[i] = silu(gate[i]) · up[i].
void silu_mul(float* gate, const float* up, int64_t n);

// y[i] += x[i].
void add(float* y, const float* x, int64_t n);

// Whether the AVX2+FMA builds are in use (for benchmark reports).
bool using_avx2();

}  // namespace loralab::sample::kernels
