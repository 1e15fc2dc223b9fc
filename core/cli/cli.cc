#include "core/cli/cli.h"

#include "core/cli/admin_commands.h"
#include "core/cli/commands.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace aigate::cli {
namespace {

void addCommon(CLI::App* cmd, CommonOptions& common, bool with_json) {
  cmd->add_option("--config", common.config_path, "Config file (default: $AIGATE_CONFIG or built-in defaults)");
  cmd->add_option("--data", common.data_dir, "Data directory (overrides the config's data_dir)");
  if (with_json) cmd->add_flag("--json", common.json, "Print the result as JSON");
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"AIGate: one API for AI images and videos, library first.", "aigate"};
  app.require_subcommand(1);
  CommonOptions common;
  int exit_code = 0;

  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway");
  ServeOptions serve_options;
  addCommon(serve_cmd, common, false);
  serve_cmd->add_option("--listen", serve_options.listen, "HOST:PORT to listen on");
  serve_cmd->callback([&] { exit_code = serve(common, serve_options); });

  auto* admin = app.add_subcommand("admin", "Manage users, credits and keys")->require_subcommand(1);

  auto* user = admin->add_subcommand("user", "Users")->require_subcommand(1);
  auto* user_create = user->add_subcommand("create", "Create a user and print its first API key");
  std::string email;
  std::optional<std::string> user_pack;
  addCommon(user_create, common, true);
  user_create->add_option("--email", email, "Email address")->required();
  user_create->add_option("--pack", user_pack, "Credit pack to buy (starter, creator, pro, scale)");
  user_create->callback([&] { exit_code = createUser(common, email, user_pack); });

  auto* credits = admin->add_subcommand("credits", "Credits")->require_subcommand(1);
  auto* grant = credits->add_subcommand("grant", "Buy a pack for a user or grant credits");
  std::string grant_user;
  std::optional<std::string> grant_pack;
  std::optional<int64_t> grant_credits;
  std::string note = "admin grant";
  addCommon(grant, common, true);
  grant->add_option("--user", grant_user, "User id or email")->required();
  auto* pack_opt = grant->add_option("--pack", grant_pack, "Pack to buy");
  auto* credits_opt =
      grant->add_option("--credits", grant_credits, "Credits to grant")
          ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  pack_opt->excludes(credits_opt);
  grant->add_option("--note", note, "Note written to the ledger");
  grant->callback([&] {
    if (!grant_pack && !grant_credits) throw CLI::RequiredError("--pack or --credits");
    exit_code = grantCredits(common, grant_user, grant_pack, grant_credits, note);
  });

  auto* key = admin->add_subcommand("key", "API keys")->require_subcommand(1);
  auto* key_create = key->add_subcommand("create", "Issue an API key (shown once)");
  std::string key_user;
  std::string key_name;
  addCommon(key_create, common, true);
  key_create->add_option("--user", key_user, "User id or email")->required();
  key_create->add_option("--name", key_name, "A label for the key");
  key_create->callback([&] { exit_code = createKey(common, key_user, key_name); });
  auto* key_revoke = key->add_subcommand("revoke", "Revoke an API key");
  std::string revoke_key;
  addCommon(key_revoke, common, true);
  key_revoke->add_option("--key", revoke_key, "Key id (key_…) or the key itself")->required();
  key_revoke->callback([&] { exit_code = revokeKey(common, revoke_key); });

  auto* library = app.add_subcommand("library", "The asset library")->require_subcommand(1);
  auto* import = library->add_subcommand(
      "import", "Import media files described by a JSONL or CSV manifest (safe to re-run)");
  std::string import_path;
  addCommon(import, common, true);
  import->add_option("PATH", import_path, "A manifest, or a folder holding manifest.jsonl or .csv")
      ->required();
  import->callback([&] { exit_code = importLibrary(common, import_path); });

  auto* routes = app.add_subcommand("routes", "Routing rules")->require_subcommand(1);
  auto* routes_check = routes->add_subcommand("check", "Validate a routing file (errors name file:line)");
  std::string routes_file;
  addCommon(routes_check, common, true);
  routes_check->add_option("FILE", routes_file, "The routing file (default: the config's routing.file)");
  routes_check->callback([&] { exit_code = checkRoutes(common, routes_file); });
  auto* routes_explain = routes->add_subcommand(
      "explain", "Show the provider chain a request would get, and why");
  ExplainOptions explain;
  addCommon(routes_explain, common, true);
  routes_explain->add_option("--kind", explain.kind, "image or video")->required();
  routes_explain->add_option("--tier", explain.tier, "The user's tier (default: the free tier)");
  routes_explain->add_option("--user", explain.user, "The user's id");
  routes_explain->add_option("--email", explain.email, "The user's email");
  routes_explain->add_option("--prompt", explain.prompt, "The prompt");
  routes_explain->add_option("--topic", explain.topic, "The request's topic");
  routes_explain->add_option("--aspect-ratio", explain.aspect_ratio, "The request's aspect ratio");
  routes_explain->add_option("--provider", explain.provider, "The request's provider hint");
  routes_explain->add_option("--model", explain.model, "The request's model hint");
  routes_explain->add_option("--file", explain.file, "A routing file (default: the config's)");
  routes_explain->add_option("--gateway", explain.gateway,
                             "Ask a running gateway (http://HOST:PORT; operator token from the environment)");
  routes_explain->callback([&] { exit_code = explainRoutes(common, explain); });

  auto* plugins = app.add_subcommand("plugins", "Provider plugins")->require_subcommand(1);
  auto* plugins_list = plugins->add_subcommand("list", "Load the configured plugins and list them");
  addCommon(plugins_list, common, true);
  plugins_list->callback([&] { exit_code = listPlugins(common); });
  auto* plugins_check = plugins->add_subcommand("check", "Check that a file is a loadable plugin");
  std::string plugin_file;
  addCommon(plugins_check, common, true);
  plugins_check->add_option("FILE", plugin_file, "The plugin's .so file")->required();
  plugins_check->callback([&] { exit_code = checkPlugin(common, plugin_file); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help or the usage error
    return code == 0 ? 0 : 2;
  } catch (const config::ConfigError& e) {
    std::cerr << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "aigate: " << e.what() << std::endl;
    return 1;
  }
  return exit_code;
}

}  // namespace aigate::cli
