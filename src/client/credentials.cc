// Credentials come from a JSON or KEY=VALUE file or the environment; errors never quote a value.
#include "client/credentials.h"

#include <cstdlib>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

namespace davault::client {
namespace {

using Names = std::vector<const char*>;
const Names kOAuth1Names = {"LP_APP_KEY", "LP_APP_SECRET", "LP_ACCESS_TOKEN",
                            "LP_ACCESS_TOKEN_SECRET"};
const Names kOAuth2Names = {"LP_CLIENT_ID", "LP_CLIENT_SECRET"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

Result<std::map<std::string, std::string>> ParseFile(const std::string& path,
                                                     const std::string& text, const Names& names) {
  std::map<std::string, std::string> values;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::Usage("credentials file " + path + " is not a valid JSON object");
    }
    for (const char* name : names) {
      auto it = j.find(name);
      if (it == j.end()) continue;
      if (!it->is_string()) {
        return Status::Usage("credentials file " + path + ": " + name + " is not a string");
      }
      values[name] = it->get<std::string>();
    }
    return values;
  }
  std::string_view rest = text;
  int line_no = 0;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = Trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (line.substr(0, 7) == "export ") line = Trim(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::Usage("credentials file " + path + " line " + std::to_string(line_no) +
                           ": expected KEY=VALUE");
    }
    std::string key(Trim(line.substr(0, eq)));
    std::string_view value = Trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    values[key] = std::string(value);
  }
  return values;
}

// The named values from `file` or the environment, each present and non-empty.
Result<std::map<std::string, std::string>> LoadValues(Env* env, const std::string& file,
                                                      CredentialsFileMode mode,
                                                      const Names& names) {
  std::map<std::string, std::string> values;
  std::string source;
  if (file.empty()) {
    for (const char* name : names) {
      if (const char* v = std::getenv(name); v != nullptr) values[name] = v;
    }
    source = "the environment";
  } else {
    DV_ASSIGN_OR_RETURN(FileInfo info, env->Stat(file));
    if (mode == CredentialsFileMode::kRequirePrivate && (info.mode & 077) != 0) {
      return Status::Usage("credentials file " + file +
                           " may be read by group or others; chmod 600 it");
    }
    DV_ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, file));
    DV_ASSIGN_OR_RETURN(values, ParseFile(file, text, names));
    source = "credentials file " + file;
  }
  for (const char* name : names) {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) {
      return Status::Usage(std::string("missing credential ") + name + " in " + source);
    }
  }
  return values;
}

}  // namespace

Result<OAuth1Credentials> LoadOAuth1Credentials(Env* env, const std::string& file,
                                                CredentialsFileMode mode) {
  DV_ASSIGN_OR_RETURN(auto values, LoadValues(env, file, mode, kOAuth1Names));
  OAuth1Credentials c;
  c.consumer_key = values["LP_APP_KEY"];
  c.consumer_secret = values["LP_APP_SECRET"];
  c.token = values["LP_ACCESS_TOKEN"];
  c.token_secret = values["LP_ACCESS_TOKEN_SECRET"];
  return c;
}

Result<OAuth2Credentials> LoadOAuth2Credentials(Env* env, const std::string& file,
                                                CredentialsFileMode mode) {
  DV_ASSIGN_OR_RETURN(auto values, LoadValues(env, file, mode, kOAuth2Names));
  OAuth2Credentials c;
  c.client_id = values["LP_CLIENT_ID"];
  c.client_secret = values["LP_CLIENT_SECRET"];
  return c;
}

}  // namespace davault::client
