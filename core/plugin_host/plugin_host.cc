#include "core/plugin_host/plugin_host.h"

#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <set>

namespace aigate::plugin_host {
namespace {

Error refused(const std::string& path, const std::string& why) {
  return Error(ErrorCode::kInternalError, path + ": " + why);
}

std::string versionText(uint32_t v) {
  return std::to_string(AIGATE_PLUGIN_ABI_VERSION_MAJOR(v)) + "." +
         std::to_string(AIGATE_PLUGIN_ABI_VERSION_MINOR(v));
}

bool validName(const aigate_str& name) {
  if (!name.data || name.size == 0 || name.size > 64) return false;
  return std::all_of(name.data, name.data + name.size, [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
}

// Takes a buffer from the plugin, copies it out and frees it.
std::string take(const aigate_plugin_v1* table, aigate_buf buf) {
  std::string text = buf.data ? std::string(buf.data, buf.size) : std::string();
  if (buf.data) table->free_buf(buf);
  return text;
}

// Why the description is unusable, or "".
std::string descriptionProblem(const nlohmann::json& d, const std::string& name) {
  if (!d.is_object()) return "describe() did not return a JSON object";
  if (d.value("name", std::string()) != name)
    return "describe() names \"" + d.value("name", std::string()) + "\", not \"" + name + "\"";
  auto kinds = d.find("kinds");
  if (kinds == d.end() || !kinds->is_array() || kinds->empty())
    return "describe() must list \"kinds\" (image, video)";
  for (const auto& k : *kinds)
    if (k != "image" && k != "video") return "describe() lists an unknown kind " + k.dump();
  if (auto models = d.find("models"); models != d.end() && !models->is_array())
    return "describe(): \"models\" must be a list";
  if (auto price = d.find("price"); price != d.end()) {
    if (!price->is_object()) return "describe(): \"price\" must be an object";
    for (const auto& [kind, credits] : price->items())
      if (!credits.is_number_integer() || credits.get<int64_t>() < 0)
        return "describe(): price of " + kind + " must be a whole number of credits";
  }
  return {};
}

}  // namespace

std::string Plugin::abiVersion() const { return versionText(table_->abi_version); }

Result<std::shared_ptr<Plugin>> loadPlugin(const std::string& path) {
  auto plugin = std::make_shared<Plugin>();
  plugin->path_ = path;
  try {
    plugin->library_ = std::make_shared<boost::dll::shared_library>(
        path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception&) {
    return refused(path, "cannot be loaded as a shared library (missing, unreadable, or built "
                         "for another platform)");
  }
  if (!plugin->library_->has(AIGATE_PLUGIN_ENTRY_SYMBOL))
    return refused(path, "exports no " AIGATE_PLUGIN_ENTRY_SYMBOL "(): not an AIGate plugin");
  auto entry = plugin->library_->get<const aigate_plugin_v1*()>(AIGATE_PLUGIN_ENTRY_SYMBOL);
  const aigate_plugin_v1* table = entry();
  if (!table) return refused(path, AIGATE_PLUGIN_ENTRY_SYMBOL "() returned no function table");

  const uint32_t ours = AIGATE_PLUGIN_ABI_VERSION;
  const uint32_t theirs = table->abi_version;
  if (AIGATE_PLUGIN_ABI_VERSION_MAJOR(theirs) != AIGATE_PLUGIN_ABI_VERSION_MAJOR(ours))
    return refused(path, "built for plugin ABI " + versionText(theirs) + ", but this aigate speaks " +
                             versionText(ours) + " (a different major version); rebuild it "
                                                 "against this aigate's SDK");
  if (AIGATE_PLUGIN_ABI_VERSION_MINOR(theirs) > AIGATE_PLUGIN_ABI_VERSION_MINOR(ours))
    return refused(path, "built for plugin ABI " + versionText(theirs) +
                             ", newer than this aigate's " + versionText(ours) + "; upgrade aigate");
  if (table->struct_size < sizeof(aigate_plugin_v1))
    return refused(path, "its function table is " + std::to_string(table->struct_size) +
                             " bytes, smaller than the " + std::to_string(sizeof(aigate_plugin_v1)) +
                             " bytes of ABI " + versionText(ours));
  if (!table->describe || !table->create || !table->step || !table->free_buf || !table->destroy)
    return refused(path, "its function table has empty entries");
  if (!validName(table->name))
    return refused(path, "its name must be 1-64 characters of a-z, 0-9 and _");
  plugin->table_ = table;
  plugin->name_ = std::string(table->name.data, table->name.size);

  const std::string text = take(table, table->describe());
  plugin->description_ = nlohmann::json::parse(text, nullptr, false);
  if (plugin->description_.is_discarded())
    return refused(path, "describe() did not return valid JSON");
  if (auto problem = descriptionProblem(plugin->description_, plugin->name_); !problem.empty())
    return refused(path, problem);
  return plugin;
}

Result<std::unique_ptr<PluginInstance>> Plugin::create(const nlohmann::json& settings) {
  const std::string text = settings.dump();
  aigate_buf error{nullptr, 0};
  void* handle = table_->create({text.data(), text.size()}, &error);
  const std::string message = take(table_, error);
  if (!handle)
    return Error(ErrorCode::kInternalError,
                 "plugin " + name_ + " refused its settings: " +
                     (message.empty() ? std::string("no reason given") : message));
  return std::unique_ptr<PluginInstance>(new PluginInstance(shared_from_this(), handle));
}

PluginInstance::~PluginInstance() { plugin_->table_->destroy(handle_); }

nlohmann::json PluginInstance::step(const nlohmann::json& event) {
  const std::string text = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const auto* table = plugin_->table_;
  auto action = nlohmann::json::parse(take(table, table->step(handle_, {text.data(), text.size()})),
                                      nullptr, false);
  if (action.is_discarded() || !action.is_object() || !action.contains("action"))
    return {{"action", "fail"},
            {"code", "plugin_error"},
            {"message", "plugin " + plugin_->name() + " answered something that is not an action"},
            {"retryable", false}};
  return action;
}

Status PluginRegistry::add(const std::string& path) {
  auto plugin = loadPlugin(path);
  if (!plugin) return plugin.error();
  const std::string name = (*plugin)->name();
  if (auto it = plugins_.find(name); it != plugins_.end())
    return refused(path, "a plugin named \"" + name + "\" is already loaded from " +
                             it->second->path());
  plugins_.emplace(name, std::move(plugin.value()));
  return Status::Ok();
}

std::shared_ptr<Plugin> PluginRegistry::find(const std::string& name) const {
  auto it = plugins_.find(name);
  return it == plugins_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Plugin>> PluginRegistry::all() const {
  std::vector<std::shared_ptr<Plugin>> out;
  for (const auto& [name, plugin] : plugins_) out.push_back(plugin);
  return out;
}

}  // namespace aigate::plugin_host
