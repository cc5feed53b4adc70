// Attaching LoRA adapters to a loaded model: fresh (seeded init) or from PEFT folders, live
// weights λ, merge / unmerge, saving, and merged-model export. See loralab/lora.h.
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "io/tensor_convert.h"
#include "lora/peft_io.h"
#include "lora/targeting.h"
#include "loralab/error.h"
#include "loralab/hash.h"
#include "loralab/runtime.h"
#include "model/model_impl.h"

namespace fs = std::filesystem;

namespace loralab {
namespace {

using Projections = std::vector<std::pair<std::string, lora::LoraLinear>>;

std::string shape_string(const torch::Tensor& t) { return c10::str(t.sizes()); }

// Stable across platforms (std::hash is not), so seeds reproduce everywhere.
uint64_t fnv1a(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

AdapterInfo* find_info(Model& model, const std::string& name) {
  for (auto& info : model.impl().adapters)
    if (info.name == name) return &info;
  return nullptr;
}

AdapterInfo& require_info(Model& model, const std::string& name) {
  if (auto* info = find_info(model, name)) return *info;
  std::string known;
  for (const auto& info : model.impl().adapters) known += (known.empty() ? "" : ", ") + info.name;
  throw Error("no adapter named '" + name + "' is loaded" +
              (known.empty() ? std::string(" (none are)") : " (loaded: " + known + ")"));
}

void require_unmerged(const Model& model, const std::string& action) {
  if (model.impl().merged) throw Error("cannot " + action + " while adapters are merged; unmerge first");
}

std::string no_match_message(const LoraSpec& spec, const Projections& projections) {
  std::set<std::string> leaf_names;
  for (const auto& [path, _] : projections) leaf_names.insert(path.substr(path.rfind('.') + 1));
  std::string targets = spec.target_regex;
  if (targets.empty())
    for (const auto& t : spec.target_modules) targets += (targets.empty() ? "" : ", ") + t;
  std::string names;
  for (const auto& n : leaf_names) names += (names.empty() ? "" : ", ") + n;
  return "targets (" + targets + ") match no module of the base model; its linear modules are " +
         names + " (paths like " + projections.front().first + ")";
}

// Seeded A/B for one module. PiSSA also rewrites the base weight to the residual.
std::pair<torch::Tensor, torch::Tensor> init_module(const LoraSpec& spec, lora::LoraLinear& layer,
                                                    int64_t rank, double scaling, uint64_t seed) {
  const int64_t in = layer->in_features(), out = layer->out_features();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor a, b;
  if (spec.init == "pissa") {
    // Top-r singular triplets go into the adapter (split √S across A and B, divided by the
    // scaling so that s·B·A reproduces them); the rest stays in W.
    auto w = layer->weight.detach().to(torch::kFloat32);
    auto [u, s, vh] = torch::linalg::svd(w, /*full_matrices=*/false, c10::nullopt);
    auto root = torch::sqrt(s.narrow(0, 0, rank) / scaling);
    a = root.unsqueeze(1) * vh.narrow(0, 0, rank);
    b = u.narrow(1, 0, rank) * root.unsqueeze(0);
    auto residual = w - scaling * torch::matmul(b, a);
    layer->weight.detach().copy_(residual.to(layer->weight.scalar_type()));
  } else if (spec.init == "gaussian") {
    a = torch::empty({rank, in}).normal_(0.0, 1.0 / static_cast<double>(rank), gen);
    b = torch::zeros({out, rank});
  } else {
    // kaiming_uniform_(a = √5) on (rank, in): bound = gain·√(3 / fan_in) = 1 / √in.
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    a = torch::empty({rank, in}).uniform_(-bound, bound, gen);
    b = torch::zeros({out, rank});
  }
  return {a.contiguous(), b.contiguous()};
}

std::string base_model_hash(const Model& model) {
  const auto& folder = model.folder();
  if (folder.weights_path.empty()) return "";
  Sha256 hasher;
  std::vector<std::string> files;
  if (folder.weights_path.ends_with(".index.json")) {
    for (const auto& entry : fs::directory_iterator(folder.dir))
      if (entry.path().extension() == ".safetensors") files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(folder.weights_path);
  }
  for (const auto& file : files) hasher.update(sha256_file(file));
  return hasher.hex_digest();
}

}  // namespace

AdapterInfo add_adapter(Model& model, const std::string& name, const LoraSpec& spec) {
  spec.validate();
  if (name.empty()) throw Error("adapter name must not be empty");
  if (find_info(model, name)) throw Error("an adapter named '" + name + "' is already loaded");
  require_unmerged(model, "add an adapter");
  auto& impl = model.impl();
  auto projections = impl.net->projections();
  std::vector<size_t> chosen;
  for (size_t i = 0; i < projections.size(); ++i)
    if (lora::module_targeted(spec, projections[i].first)) chosen.push_back(i);
  if (chosen.empty()) throw Error(no_match_message(spec, projections));

  torch::NoGradGuard no_grad;
  AdapterInfo info{name, "", spec, 1.0, true, {}, 0};
  for (size_t k = 0; k < chosen.size(); ++k) {
    auto& [path, layer] = projections[chosen[k]];
    lora::Adapter adapter;
    adapter.name = name;
    adapter.alpha = lora::alpha_for(spec, path);
    adapter.rslora = spec.rslora;
    adapter.dropout = spec.dropout;
    const int64_t rank = lora::rank_for(spec, path);
    if (rank > std::min(layer->in_features(), layer->out_features()) && spec.init == "pissa")
      throw Error("rank " + std::to_string(rank) + " exceeds the size of " + path + " for PiSSA");
    const double scaling = spec.rslora ? adapter.alpha / std::sqrt(double(rank)) : adapter.alpha / rank;
    // Each module gets its own stream, so adding a target does not reshuffle the others.
    const uint64_t seed = spec.seed * 0x9E3779B97F4A7C15ULL + fnv1a(path);
    std::tie(adapter.a, adapter.b) = init_module(spec, layer, rank, scaling, seed);
    if (spec.init == "pissa") {
      adapter.init_a = adapter.a.clone();
      adapter.init_b = adapter.b.clone();
    }
    layer->add_adapter(std::move(adapter));
    info.modules.push_back(path);
    info.parameters += (layer->in_features() + layer->out_features()) * rank;
  }
  impl.adapters.push_back(info);
  return info;
}

AdapterInfo load_adapter(Model& model, const std::string& dir, const std::string& requested_name) {
  require_unmerged(model, "load an adapter");
  auto peft = lora::read_peft_adapter(dir);
  if (peft.spec.init == "pissa")
    throw Error((fs::path(dir) / "adapter_config.json").string() +
                ": init_lora_weights is \"pissa\": such an adapter only fits the residual base it was "
                "trained on; convert it to a standard LoRA first (LoRA Lab saves PiSSA adapters "
                "converted)");
  std::string name = requested_name;
  if (name.empty()) name = fs::path(dir).lexically_normal().filename().string();
  if (name.empty() || name == ".") name = fs::path(dir).lexically_normal().parent_path().filename().string();
  if (find_info(model, name)) throw Error("an adapter named '" + name + "' is already loaded");
  const std::string weights_file = (fs::path(dir) / "adapter_model.safetensors").string();

  auto& impl = model.impl();
  auto projections = impl.net->projections();
  std::map<std::string, lora::LoraLinear> by_path(projections.begin(), projections.end());
  // Check everything before attaching anything, so a bad file leaves the model untouched.
  for (const auto& m : peft.modules) {
    const std::string key = "base_model.model." + m.module;
    auto it = by_path.find(m.module);
    if (it == by_path.end())
      throw Error(weights_file + ": tensor " + key + ".lora_A.weight targets " + m.module +
                  ", which the base model does not have (" + no_match_message(peft.spec, projections) + ")");
    const auto& layer = it->second;
    if (m.a.size(1) != layer->in_features())
      throw Error(weights_file + ": tensor " + key + ".lora_A.weight has shape " + shape_string(m.a) +
                  ", base layer expects in_features " + std::to_string(layer->in_features()));
    if (m.b.size(0) != layer->out_features())
      throw Error(weights_file + ": tensor " + key + ".lora_B.weight has shape " + shape_string(m.b) +
                  ", base layer expects out_features " + std::to_string(layer->out_features()));
  }
  if (peft.modules.empty()) throw Error(weights_file + ": the adapter holds no LoRA tensors");
  AdapterInfo info{name, dir, peft.spec, 1.0, true, {}, 0};
  for (const auto& m : peft.modules) {
    auto& layer = by_path.at(m.module);
    lora::Adapter adapter;
    adapter.name = name;
    adapter.a = m.a.to(torch::kFloat32).contiguous();
    adapter.b = m.b.to(torch::kFloat32).contiguous();
    adapter.alpha = lora::alpha_for(peft.spec, m.module);
    adapter.rslora = peft.spec.rslora;
    adapter.dropout = peft.spec.dropout;
    layer->add_adapter(std::move(adapter));
    info.modules.push_back(m.module);
    info.parameters += (layer->in_features() + layer->out_features()) * m.a.size(0);
  }
  impl.adapters.push_back(info);
  return info;
}

void save_adapter(const Model& model, const std::string& name, const std::string& dir,
                  const std::map<std::string, std::string>& metadata) {
  const auto& impl = model.impl();
  const AdapterInfo* info = nullptr;
  for (const auto& a : impl.adapters)
    if (a.name == name) info = &a;
  if (!info) throw Error("no adapter named '" + name + "' is loaded");
  lora::PeftAdapter peft;
  peft.spec = info->spec;
  if (peft.spec.base_model_name_or_path.empty()) peft.spec.base_model_name_or_path = model.folder().dir;
  const bool pissa = info->spec.init == "pissa";
  for (auto& [path, layer] : impl.net->projections()) {
    auto* adapter = layer->find_adapter(name);
    if (!adapter) continue;
    auto a = adapter->a.detach().to(torch::kFloat32), b = adapter->b.detach().to(torch::kFloat32);
    if (pissa) {
      // The base in memory is W0 − s·B0·A0, so against the original W0 the change is
      // s·(B·A − B0·A0) = s·[B, −B0]·[A; A0]: a standard LoRA of twice the rank.
      a = torch::cat({a, adapter->init_a.to(torch::kFloat32)}, 0);
      b = torch::cat({b, -adapter->init_b.to(torch::kFloat32)}, 1);
    }
    peft.modules.push_back({path, a, b});
  }
  if (pissa) {
    // Same scaling at twice the rank: alpha·2 (alpha/r) or alpha·√2 (rsLoRA).
    const double factor = peft.spec.rslora ? std::sqrt(2.0) : 2.0;
    peft.spec.init = "default";
    peft.spec.rank *= 2;
    peft.spec.alpha *= factor;
    for (auto& [_, r] : peft.spec.rank_pattern) r *= 2;
    for (auto& [_, a] : peft.spec.alpha_pattern) a *= factor;
  }
  peft.metadata = metadata;
  peft.metadata.emplace("loralab_version", engine_version());
  peft.metadata.emplace("adapter_name", name);
  if (!peft.metadata.count("base_model_sha256")) {
    auto hash = base_model_hash(model);
    if (!hash.empty()) peft.metadata["base_model_sha256"] = hash;
  }
  lora::write_peft_adapter(dir, peft);
}

void remove_adapter(Model& model, const std::string& name) {
  require_info(model, name);
  require_unmerged(model, "remove an adapter");
  for (auto& [_, layer] : model.impl().net->projections()) layer->remove_adapter(name);
  std::erase_if(model.impl().adapters, [&](const AdapterInfo& a) { return a.name == name; });
}

void set_adapter_weight(Model& model, const std::string& name, double weight) {
  if (!std::isfinite(weight)) throw Error("adapter '" + name + "': weight must be a finite number");
  auto& info = require_info(model, name);
  require_unmerged(model, "re-weight an adapter");
  std::lock_guard lock(model.impl().forward_mutex);
  info.weight = weight;
  for (auto& [_, layer] : model.impl().net->projections())
    if (auto* adapter = layer->find_adapter(name)) adapter->weight = weight;
}

void set_adapter_enabled(Model& model, const std::string& name, bool enabled) {
  auto& info = require_info(model, name);
  require_unmerged(model, "enable or disable an adapter");
  std::lock_guard lock(model.impl().forward_mutex);
  info.enabled = enabled;
  for (auto& [_, layer] : model.impl().net->projections())
    if (auto* adapter = layer->find_adapter(name)) adapter->enabled = enabled;
}

std::vector<AdapterInfo> list_adapters(const Model& model) { return model.impl().adapters; }

void merge_adapters(Model& model) {
  require_unmerged(model, "merge");
  std::lock_guard lock(model.impl().forward_mutex);
  for (auto& [_, layer] : model.impl().net->projections())
    if (!layer->adapters().empty()) layer->merge();
  model.impl().merged = true;
}

void unmerge_adapters(Model& model) {
  std::lock_guard lock(model.impl().forward_mutex);
  for (auto& [_, layer] : model.impl().net->projections()) layer->unmerge();
  model.impl().merged = false;
}

bool adapters_merged(const Model& model) { return model.impl().merged; }

std::vector<std::string> parameters_with_gradient(Model& model, const std::vector<int32_t>& tokens) {
  if (tokens.size() < 2) throw Error("need at least two tokens for a next-token loss");
  require_unmerged(model, "compute gradients");
  auto& impl = model.impl();
  std::lock_guard lock(impl.forward_mutex);
  auto projections = impl.net->projections();
  for (auto& [_, layer] : projections)
    for (auto& adapter : layer->adapters()) {
      adapter.a.set_requires_grad(true);
      adapter.b.set_requires_grad(true);
    }
  auto ids = impl.token_tensor(tokens);
  auto logits = impl.net->forward(ids.narrow(1, 0, ids.size(1) - 1));
  auto loss = torch::nn::functional::cross_entropy(
      logits.reshape({-1, logits.size(-1)}), ids.narrow(1, 1, ids.size(1) - 1).reshape({-1}));
  loss.backward();
  std::vector<std::string> names;
  auto nonzero = [](const torch::Tensor& t) {
    return t.grad().defined() && t.grad().abs().sum().item<double>() > 0;
  };
  for (const auto& item : impl.net->named_parameters())
    if (nonzero(item.value())) names.push_back(item.key());
  for (auto& [path, layer] : projections)
    for (auto& adapter : layer->adapters()) {
      if (nonzero(adapter.a)) names.push_back(path + ".lora_A." + adapter.name);
      if (nonzero(adapter.b)) names.push_back(path + ".lora_B." + adapter.name);
      adapter.a = adapter.a.detach().set_requires_grad(false);
      adapter.b = adapter.b.detach().set_requires_grad(false);
    }
  for (auto& p : impl.net->parameters()) p.mutable_grad() = torch::Tensor();
  return names;
}

}  // namespace loralab

namespace loralab {

GradientCheck check_adapter_gradients(Model& model, const std::vector<int32_t>& tokens, int samples,
                                      double eps, uint64_t seed, double dropout) {
  if (tokens.size() < 2) throw Error("need at least two tokens for a next-token loss");
  auto& impl = model.impl();
  std::lock_guard lock(impl.forward_mutex);
  // The loss must be a deterministic function of the weights: no dropout, or the same masks on
  // every forward.
  const bool was_training = impl.net->is_training();
  if (dropout > 0)
    impl.net->train();
  else
    impl.net->eval();
  auto ids = impl.token_tensor(tokens);
  auto inputs = ids.narrow(1, 0, ids.size(1) - 1);
  auto targets = ids.narrow(1, 1, ids.size(1) - 1).reshape({-1});
  auto loss_of = [&] {
    if (dropout > 0) torch::manual_seed(seed + 1);
    auto logits = impl.net->forward(inputs);
    return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets);
  };
  std::vector<torch::Tensor*> tensors;
  std::vector<std::pair<lora::Adapter*, double>> own_dropout;
  for (auto& [_, layer] : impl.net->projections())
    for (auto& adapter : layer->adapters()) {
      if (dropout > 0) {
        own_dropout.emplace_back(&adapter, adapter.dropout);
        adapter.dropout = dropout;
      }
      adapter.a = adapter.a.to(impl.dtype()).detach().set_requires_grad(true);
      adapter.b = adapter.b.to(impl.dtype()).detach().set_requires_grad(true);
      tensors.push_back(&adapter.a);
      tensors.push_back(&adapter.b);
    }
  if (tensors.empty()) throw Error("no adapter is loaded");
  loss_of().backward();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  GradientCheck check;
  torch::NoGradGuard no_grad;
  for (auto* t : tensors) {
    auto flat = t->view({-1});
    auto grad = t->grad().view({-1});
    for (int s = 0; s < samples; ++s) {
      const int64_t i = torch::randint(flat.numel(), {1}, gen).item<int64_t>();
      const double original = flat[i].item<double>();
      flat[i].fill_(original + eps);
      const double plus = loss_of().item<double>();
      flat[i].fill_(original - eps);
      const double minus = loss_of().item<double>();
      flat[i].fill_(original);
      const double numeric = (plus - minus) / (2 * eps);
      const double analytic = grad[i].item<double>();
      const double error = std::abs(analytic - numeric);
      check.max_abs_error = std::max(check.max_abs_error, error);
      check.max_relative_error =
          std::max(check.max_relative_error, error / std::max(std::abs(numeric), 1e-6));
      ++check.checked;
    }
  }
  for (auto* t : tensors) *t = t->detach().to(torch::kFloat32).set_requires_grad(false);
  for (auto& [adapter, p] : own_dropout) adapter->dropout = p;
  impl.net->train(was_training);
  return check;
}

}  // namespace loralab
