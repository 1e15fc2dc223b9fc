// The plugin host refuses every broken plugin by name, with both versions,
// and drives a good one through the C ABI.
#include "core/plugin_host/plugin_host.h"

#include <catch2/catch.hpp>

using aigate::plugin_host::loadPlugin;
using aigate::plugin_host::PluginRegistry;

namespace {

std::string fixture(const std::string& name) {
  return std::string(AIGATE_FIXTURE_PLUGINS) + "/" + name;
}

std::string refusal(const std::string& file) {
  auto loaded = loadPlugin(fixture(file));
  REQUIRE_FALSE(loaded.ok());
  return loaded.error().message();
}

}  // namespace

TEST_CASE("a good plugin loads and describes itself", "[plugins]") {
  auto plugin = loadPlugin(fixture("aigate_fixture_echo.so"));
  REQUIRE(plugin.ok());
  CHECK((*plugin)->name() == "fixture_echo");
  CHECK((*plugin)->abiVersion() == "1.0");
  CHECK((*plugin)->description()["kinds"] == nlohmann::json{"image"});
  CHECK((*plugin)->description()["price"]["image"] == 3);
}

TEST_CASE("a plugin instance steps through the C ABI", "[plugins]") {
  auto plugin = loadPlugin(fixture("aigate_fixture_echo.so"));
  REQUIRE(plugin.ok());
  auto instance = (*plugin)->create({{"base_url", "http://127.0.0.1:1"}});
  REQUIRE(instance.ok());
  auto done = (*instance)->step({{"event", "start"}, {"request", {{"prompt", "hello"}}}, {"state", nullptr}});
  CHECK(done["action"] == "done");
  CHECK(done["outputs"][0]["echo"] == "hello");
  // An exception inside the plugin comes back as a non-retryable fail.
  auto failed = (*instance)->step({{"event", "start"}, {"request", {{"prompt", "boom"}}}});
  CHECK(failed["action"] == "fail");
  CHECK(failed["code"] == "plugin_error");
  CHECK(failed["retryable"] == false);
  // Garbage in is a fail too, not a crash.
  auto garbage = (*instance)->step("not an object");
  CHECK(garbage["action"] == "fail");
}

TEST_CASE("settings a plugin refuses are reported", "[plugins]") {
  auto plugin = loadPlugin(fixture("aigate_fixture_echo.so"));
  REQUIRE(plugin.ok());
  auto refused = (*plugin)->create({{"refuse", true}});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message() == "plugin fixture_echo refused its settings: refused on purpose");
}

TEST_CASE("a different ABI major is refused naming both versions", "[plugins]") {
  const std::string why = refusal("abi_major_mismatch.so");
  CHECK(why.find(fixture("abi_major_mismatch.so")) == 0);
  CHECK(why.find("built for plugin ABI 2.0, but this aigate speaks 1.0") != std::string::npos);
}

TEST_CASE("a newer ABI minor is refused", "[plugins]") {
  CHECK(refusal("abi_newer_minor.so").find("built for plugin ABI 1.7, newer than this aigate's 1.0") !=
        std::string::npos);
}

TEST_CASE("a function table smaller than its ABI's is refused", "[plugins]") {
  CHECK(refusal("struct_too_small.so").find("its function table is 24 bytes, smaller than the") !=
        std::string::npos);
}

TEST_CASE("a library without the entry symbol is refused", "[plugins]") {
  CHECK(refusal("missing_entry.so").find("exports no aigate_plugin_entry(): not an AIGate plugin") !=
        std::string::npos);
}

TEST_CASE("an invalid description is refused", "[plugins]") {
  CHECK(refusal("invalid_description.so").find("describe() did not return valid JSON") !=
        std::string::npos);
  CHECK(refusal("wrong_kinds.so").find("describe() lists an unknown kind \"audio\"") !=
        std::string::npos);
}

TEST_CASE("a missing or non-library file is refused", "[plugins]") {
  CHECK(refusal("nope.so").find("cannot be loaded as a shared library") != std::string::npos);
  auto text = loadPlugin(std::string(AIGATE_SOURCE_DIR) + "/README.md");
  REQUIRE_FALSE(text.ok());
  CHECK(text.error().message().find("cannot be loaded") != std::string::npos);
}

TEST_CASE("a second plugin with a loaded name is refused", "[plugins]") {
  PluginRegistry registry;
  REQUIRE(registry.add(fixture("aigate_fixture_echo.so")).ok());
  auto dup = registry.add(fixture("copy/aigate_fixture_echo_copy.so"));
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().message().find("a plugin named \"fixture_echo\" is already loaded from " +
                                   fixture("aigate_fixture_echo.so")) != std::string::npos);
  CHECK(registry.all().size() == 1);
  CHECK(registry.find("fixture_echo"));
  CHECK_FALSE(registry.find("other"));
}
