// Blend export: weighted PEFT adapter folders combined into one PEFT adapter, no model needed.
//
// Per module, with effective scales c_i = λ_i · s_i (s_i = alpha_i / r_i, or alpha_i / √r_i):
//   cat     A = [A_1; A_2; ...], B = [c_1 B_1, c_2 B_2, ...]          (exact; rank Σ r_i)
//   svd     ΔW = Σ c_i B_i A_i truncated to rank k: B = U_k √S_k, A = √S_k V_kᵀ
//   linear  A = Σ sign(c_i) √|c_i| A_i, B = Σ √|c_i| B_i               (PEFT's "linear"; equal ranks;
//           not exact: B A picks up cross terms B_i A_j)
// The written adapter has alpha = r for every module and no rsLoRA, so its scaling is 1 and the
// c_i live in the tensors. Modules are the union over the inputs: an adapter that lacks a module
// contributes nothing to it. Every method reports the measured worst relative Frobenius error of
// the written (float32) factors against ΔW computed in float64.
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <set>

#include <nlohmann/json.hpp>

#include "lora/peft_io.h"
#include "lora/targeting.h"
#include "loralab/error.h"
#include "loralab/lora.h"
#include "loralab/runtime.h"

namespace loralab {
namespace {

struct Term {
  size_t input = 0;
  torch::Tensor a, b;  // float64
  double c = 0;        // λ · s
};

struct ModuleResult {
  torch::Tensor a, b;  // float32, scaling 1
  bool lossy = false;  // svd dropped a singular value that is not ~0
  double relative_error = 0;
};

std::string format_number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// ||P Q||_F without forming the (out, in) product: with P = Qp Rp and Qᵀ = Qq Rq (reduced QR),
// ||P Q||_F = ||Rp Rqᵀ||_F since Qp and Qq have orthonormal columns. Stays accurate for a nearly
// cancelling P Q (the residual of an exact blend), where a Gram-matrix formula would not.
double frobenius_of_product(const torch::Tensor& p, const torch::Tensor& q) {
  auto rp = std::get<1>(torch::linalg_qr(p, "r"));
  auto rq = std::get<1>(torch::linalg_qr(q.t(), "r"));
  return torch::matmul(rp, rq.t()).norm().item<double>();
}

// The stacked exact form of ΔW = Σ c_i B_i A_i: ΔW = B_cat A_cat.
std::pair<torch::Tensor, torch::Tensor> stacked(const std::vector<Term>& terms) {
  std::vector<torch::Tensor> as, bs;
  for (const auto& t : terms) {
    as.push_back(t.a);
    bs.push_back(t.b * t.c);
  }
  return {torch::cat(as, 0), torch::cat(bs, 1)};
}

double relative_error(const std::vector<Term>& terms, const torch::Tensor& a_out,
                      const torch::Tensor& b_out) {
  auto [a_cat, b_cat] = stacked(terms);
  const double norm = frobenius_of_product(b_cat, a_cat);
  if (norm == 0) return 0;  // ΔW = 0: every method writes zeros
  auto p = torch::cat({b_cat, -b_out.to(torch::kFloat64)}, 1);
  auto q = torch::cat({a_cat, a_out.to(torch::kFloat64)}, 0);
  return frobenius_of_product(p, q) / norm;
}

ModuleResult blend_cat(const std::vector<Term>& terms) {
  auto [a, b] = stacked(terms);
  return {a.to(torch::kFloat32), b.to(torch::kFloat32)};
}

ModuleResult blend_linear(const std::vector<Term>& terms, const std::string& module,
                          const std::vector<BlendInput>& inputs) {
  const int64_t rank = terms.front().a.size(0);
  for (const auto& t : terms)
    if (t.a.size(0) != rank)
      throw Error("blend linear: module " + module + " has rank " + std::to_string(rank) + " in " +
                  inputs[terms.front().input].dir + " but rank " + std::to_string(t.a.size(0)) +
                  " in " + inputs[t.input].dir + " (linear needs equal ranks; use cat or svd)");
  auto a = torch::zeros_like(terms.front().a);
  auto b = torch::zeros_like(terms.front().b);
  for (const auto& t : terms) {
    // The sign goes on one side only, or it would cancel in B A.
    const double root = std::sqrt(std::abs(t.c));
    a += (t.c < 0 ? -root : root) * t.a;
    b += root * t.b;
  }
  return {a.to(torch::kFloat32), b.to(torch::kFloat32)};
}

// Truncated SVD of ΔW = B_cat A_cat through QR of the thin factors: O((out + in) R²) instead of
// a full (out, in) decomposition. Returns the kept rank min(k, rank bound).
ModuleResult blend_svd(const std::vector<Term>& terms, int64_t k) {
  auto [a_cat, b_cat] = stacked(terms);
  auto [qb, rb] = torch::linalg_qr(b_cat, "reduced");         // (out, p), (p, R)
  auto [qa, ra] = torch::linalg_qr(a_cat.t(), "reduced");     // (in, q), (q, R)
  auto [u, s, vh] = torch::linalg_svd(torch::matmul(rb, ra.t()), false, c10::nullopt);
  const int64_t keep = std::min<int64_t>(k, s.size(0));
  auto root = s.slice(0, 0, keep).sqrt();
  auto b = torch::matmul(qb, u.slice(1, 0, keep)) * root.unsqueeze(0);
  auto a = root.unsqueeze(1) * torch::matmul(vh.slice(0, 0, keep), qa.t());
  // Singular values below this share of the largest are rounding noise, not lost information.
  const bool lossy = keep < s.size(0) && s.size(0) > 0 &&
                     s[keep].item<double>() > 1e-10 * s[0].item<double>();
  return {a.to(torch::kFloat32), b.to(torch::kFloat32), lossy};
}

// PEFT-compatible pattern key for one module: the path without its first component
// ("layers.0.self_attn.q_proj"), which both PEFT's older ".*\.KEY$" and newer "(.*\.)?(KEY)$"
// rules match against exactly this module.
std::string pattern_key(const std::string& module) {
  auto dot = module.find('.');
  return dot == std::string::npos ? module : module.substr(dot + 1);
}

bool same_targeting(const LoraSpec& x, const LoraSpec& y) {
  return x.target_modules == y.target_modules && x.target_regex == y.target_regex &&
         x.layers_to_transform == y.layers_to_transform;
}

}  // namespace

BlendResult blend_adapters(const std::vector<BlendInput>& inputs, const std::string& method,
                           int64_t rank, const std::string& out_dir) {
  if (method != "cat" && method != "svd" && method != "linear")
    throw Error("blend: method: expected cat, svd or linear, got '" + method + "'");
  if (inputs.empty()) throw Error("blend: no adapters given");
  if (out_dir.empty()) throw Error("blend: no output folder given");
  if (rank < 0) throw Error("blend: rank: expected a rank > 0, got " + std::to_string(rank));
  if (rank > 0 && method != "svd")
    throw Error("blend: rank: only the svd method takes a rank (" + method + " keeps the inputs' ranks)");
  for (const auto& input : inputs)
    if (!std::isfinite(input.weight))
      throw Error("blend: weight of " + input.dir + ": expected a finite number");

  std::vector<lora::PeftAdapter> adapters;
  for (const auto& input : inputs) {
    adapters.push_back(lora::read_peft_adapter(input.dir));
    // A PiSSA adapter's B A is relative to a residual base (W0 minus its initial B A), which only
    // the model can recompute; summing it with others as if relative to W0 would be wrong.
    if (adapters.back().spec.init == "pissa")
      throw Error("blend: " + input.dir + " has init_lora_weights \"pissa\": its weights apply to a "
                  "residual base model, not W0; convert it to a plain LoRA adapter before blending");
  }

  // Module path → its terms, in input order.
  std::map<std::string, std::vector<Term>> modules;
  int64_t max_input_rank = 0;
  for (size_t i = 0; i < adapters.size(); ++i) {
    const auto& spec = adapters[i].spec;
    for (const auto& m : adapters[i].modules) {
      const int64_t r = m.a.size(0);
      max_input_rank = std::max(max_input_rank, r);
      const double alpha = lora::alpha_for(spec, m.module);
      const double scaling = spec.rslora ? alpha / std::sqrt(double(r)) : alpha / double(r);
      auto& terms = modules[m.module];
      if (!terms.empty()) {
        const auto& first = terms.front();
        if (first.a.size(1) != m.a.size(1) || first.b.size(0) != m.b.size(0))
          throw Error("blend: module " + m.module + " is (" + std::to_string(first.b.size(0)) + " × " +
                      std::to_string(first.a.size(1)) + ") in " + inputs[first.input].dir + " but (" +
                      std::to_string(m.b.size(0)) + " × " + std::to_string(m.a.size(1)) + ") in " +
                      inputs[i].dir + ": the adapters are for different base models");
      }
      terms.push_back({i, m.a.to(torch::kFloat64), m.b.to(torch::kFloat64), inputs[i].weight * scaling});
    }
  }
  const int64_t k = rank > 0 ? rank : max_input_rank;  // PEFT's svd default: the largest input rank

  lora::PeftAdapter out;
  BlendResult result;
  result.method = method;
  result.exact = method != "linear";
  std::map<int64_t, int> rank_count;
  std::map<std::string, int64_t> module_rank;
  for (const auto& [module, terms] : modules) {
    ModuleResult blended = method == "cat"   ? blend_cat(terms)
                           : method == "svd" ? blend_svd(terms, k)
                                             : blend_linear(terms, module, inputs);
    blended.relative_error = relative_error(terms, blended.a, blended.b);
    result.max_relative_error = std::max(result.max_relative_error, blended.relative_error);
    if (blended.lossy) result.exact = false;
    const int64_t r = blended.a.size(0);
    module_rank[module] = r;
    ++rank_count[r];
    result.rank = std::max(result.rank, r);
    out.modules.push_back({module, blended.a, blended.b});
  }

  // The most common rank (the larger on a tie) is the default; the others go to rank_pattern.
  // alpha = r everywhere, so every module's scaling is 1.
  LoraSpec& spec = out.spec;
  int best_count = 0;
  for (const auto& [r, count] : rank_count)
    if (count >= best_count) spec.rank = r, best_count = count;
  spec.alpha = double(spec.rank);
  for (const auto& [module, r] : module_rank) {
    if (r == spec.rank) continue;
    spec.rank_pattern[pattern_key(module)] = r;
    spec.alpha_pattern[pattern_key(module)] = double(r);
  }
  spec.rslora = false;
  spec.init = "default";
  spec.dropout = adapters.front().spec.dropout;
  bool shared_targets = true, shared_base = true;
  for (const auto& a : adapters) {
    shared_targets = shared_targets && same_targeting(a.spec, adapters.front().spec);
    shared_base = shared_base && a.spec.base_model_name_or_path == adapters.front().spec.base_model_name_or_path;
  }
  if (shared_targets) {
    spec.target_modules = adapters.front().spec.target_modules;
    spec.target_regex = adapters.front().spec.target_regex;
    spec.layers_to_transform = adapters.front().spec.layers_to_transform;
  } else {
    // Different targets: name exactly the modules that carry weights.
    spec.target_modules.clear();
    for (const auto& [module, r] : module_rank) spec.target_modules.push_back(module);
  }
  if (shared_base) spec.base_model_name_or_path = adapters.front().spec.base_model_name_or_path;

  if (method == "cat") {
    result.note = "cat: ranks concatenated; the blend equals the weighted sum of the adapters";
  } else if (method == "svd") {
    result.note = result.exact ? "svd: rank " + std::to_string(k) + " keeps every singular direction; exact"
                               : "svd: each module's weighted sum truncated to rank " + std::to_string(k) +
                                     "; worst relative Frobenius error " + format_number(result.max_relative_error);
  } else {
    result.note = "linear: A and B are summed separately (as PEFT's add_weighted_adapter does), which adds "
                  "cross terms B_i A_j; not exact, worst relative Frobenius error " +
                  format_number(result.max_relative_error);
  }

  nlohmann::json provenance = {{"method", method},
                               {"rank", result.rank},
                               {"exact", result.exact},
                               {"max_relative_error", result.max_relative_error},
                               {"inputs", nlohmann::json::array()}};
  if (method == "svd") provenance["requested_rank"] = k;
  for (const auto& input : inputs)
    provenance["inputs"].push_back({{"dir", input.dir}, {"weight", input.weight}});
  out.metadata["loralab_blend"] = provenance.dump();
  out.metadata["loralab_version"] = engine_version();
  // A base hash the inputs agree on still describes the blend.
  std::set<std::string> hashes;
  for (const auto& a : adapters) {
    auto it = a.metadata.find("base_model_sha256");
    hashes.insert(it == a.metadata.end() ? "" : it->second);
  }
  if (hashes.size() == 1 && !hashes.begin()->empty()) out.metadata["base_model_sha256"] = *hashes.begin();

  lora::write_peft_adapter(out_dir, out);
  return result;
}

}  // namespace loralab
