// Parser for policies/identifiers.toml (toml++ stays inside this file).
#include "policy/identifier_rules.h"

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <utility>

namespace davault::policy {

namespace {

class Parser {
 public:
  explicit Parser(const std::string& display_name) : name_(display_name) {}

  Status Error(const toml::node& where, const std::string& what) const {
    return ErrorAt(static_cast<int>(where.source().begin.line), what);
  }
  Status ErrorAt(int line, const std::string& what) const {
    if (line <= 0) return Status::Failed(name_ + ": " + what);
    return Status::Failed(name_ + ":" + std::to_string(line) + ": " + what);
  }

  Status ParseRoot(const toml::table& root, IdentifierRules* out) {
    bool have_version = false;
    for (auto&& [key, node] : root) {
      std::string_view k = key.str();
      int line = static_cast<int>(key.source().begin.line);
      if (k == "version") {
        DV_ASSIGN_OR_RETURN(int64_t v, Integer(node, "version"));
        if (v < 1) return Error(node, "version must be 1 or more");
        out->version = static_cast<int>(v);
        have_version = true;
      } else if (k == "default_region") {
        DV_ASSIGN_OR_RETURN(out->default_region, String(node, "default_region"));
        const std::string& r = out->default_region;
        if (r.size() != 2 || r[0] < 'A' || r[0] > 'Z' || r[1] < 'A' || r[1] > 'Z') {
          return Error(node, "default_region must be a two-letter upper-case region code");
        }
      } else if (k == "max_emails_per_link") {
        DV_ASSIGN_OR_RETURN(int64_t v, Integer(node, "max_emails_per_link"));
        if (v < 1 || v > 1000000) return Error(node, "max_emails_per_link must be 1 or more");
        out->max_emails_per_link = static_cast<int>(v);
      } else if (k == "types") {
        const toml::table* types = node.as_table();
        if (!types) return Error(node, "'types' must be a table of data types");
        for (auto&& [type_key, type_node] : *types) {
          const toml::table* t = type_node.as_table();
          if (!t)
            return Error(type_node, "'types." + std::string(type_key.str()) + "' must be a table");
          TypeRules rules;
          rules.data_type = std::string(type_key.str());
          rules.line = static_cast<int>(type_key.source().begin.line);
          DV_RETURN_IF_ERROR(ParseType(*t, &rules));
          out->types.push_back(std::move(rules));
        }
      } else {
        return ErrorAt(line, "unknown key '" + std::string(k) + "'");
      }
    }
    if (!have_version) return ErrorAt(1, "missing 'version'");
    if (out->types.empty()) return ErrorAt(1, "no [types.*] tables");
    return Status::Ok();
  }

 private:
  Result<int64_t> Integer(const toml::node& node, const std::string& what) const {
    // Checked first: value<int64_t>() converts a float, which is undefined behaviour when it
    // is out of range (found by fuzzing the retention policy parser).
    if (!node.is_integer()) return Error(node, "'" + what + "' must be an integer");
    return node.as_integer()->get();
  }

  Result<std::string> String(const toml::node& node, const std::string& what) const {
    const toml::value<std::string>* s = node.as_string();
    if (!s) return Error(node, "'" + what + "' must be a string");
    return s->get();
  }

  Result<std::vector<std::string>> PathList(const toml::node& node, const std::string& what,
                                            Subtree subtree) const {
    const toml::array* a = node.as_array();
    if (!a) return Error(node, "'" + what + "' must be an array of paths");
    std::vector<std::string> out;
    for (const toml::node& item : *a) {
      DV_ASSIGN_OR_RETURN(std::string p, String(item, what + "[]"));
      if (!IsValidRulePath(p, subtree)) return Error(item, "'" + p + "' is not a valid path");
      out.push_back(std::move(p));
    }
    return out;
  }

  Status ParseType(const toml::table& t, TypeRules* rules) {
    for (auto&& [key, node] : t) {
      std::string_view k = key.str();
      if (k == "natural_key") {
        DV_ASSIGN_OR_RETURN(rules->natural_key_paths,
                            PathList(node, "natural_key", Subtree::kForbidden));
        if (rules->natural_key_paths.empty()) return Error(node, "'natural_key' is empty");
        for (const std::string& p : rules->natural_key_paths) {
          if (!rules->natural_key_path.empty()) rules->natural_key_path += " + ";
          rules->natural_key_path += p;
        }
      } else if (k == "identifiers") {
        const toml::array* a = node.as_array();
        if (!a) return Error(node, "'identifiers' must be an array of tables");
        for (const toml::node& item : *a) {
          const toml::table* rt = item.as_table();
          if (!rt) return Error(item, "each identifier rule must be a table");
          FieldRule rule;
          rule.line = static_cast<int>(item.source().begin.line);
          DV_RETURN_IF_ERROR(ParseFieldRule(*rt, &rule));
          rules->fields.push_back(std::move(rule));
        }
      } else if (k == "free_text") {
        DV_ASSIGN_OR_RETURN(rules->free_text_paths, PathList(node, "free_text", Subtree::kAllowed));
      } else if (k == "structured") {
        DV_ASSIGN_OR_RETURN(rules->structured_paths,
                            PathList(node, "structured", Subtree::kAllowed));
      } else {
        return ErrorAt(static_cast<int>(key.source().begin.line),
                       "unknown key '" + std::string(k) + "'");
      }
    }
    if (rules->natural_key_paths.empty()) {
      return ErrorAt(rules->line, "'types." + rules->data_type + "' has no natural_key");
    }
    return Status::Ok();
  }

  Status ParseFieldRule(const toml::table& rt, FieldRule* rule) {
    for (auto&& [key, node] : rt) {
      std::string_view k = key.str();
      if (k == "path") {
        DV_ASSIGN_OR_RETURN(rule->path, String(node, "path"));
        if (!IsValidRulePath(rule->path, Subtree::kForbidden)) {
          return Error(node, "'" + rule->path + "' is not a valid path");
        }
      } else if (k == "kind") {
        DV_ASSIGN_OR_RETURN(rule->kind, String(node, "kind"));
      } else if (k == "expect") {
        DV_ASSIGN_OR_RETURN(rule->expect, String(node, "expect"));
        if (rule->expect != "string" && rule->expect != "long") {
          return Error(node, "'expect' must be \"string\" or \"long\"");
        }
      } else if (k == "ignore_values") {
        const toml::array* a = node.as_array();
        if (!a) return Error(node, "'ignore_values' must be an array of strings");
        for (const toml::node& item : *a) {
          DV_ASSIGN_OR_RETURN(std::string v, String(item, "ignore_values[]"));
          rule->ignore_values.push_back(std::move(v));
        }
      } else {
        return ErrorAt(static_cast<int>(key.source().begin.line),
                       "unknown key '" + std::string(k) + "' in identifier rule");
      }
    }
    if (rule->path.empty()) return ErrorAt(rule->line, "identifier rule without 'path'");
    if (rule->kind.empty()) return ErrorAt(rule->line, "identifier rule without 'kind'");
    return Status::Ok();
  }

  const std::string& name_;
};

bool IsComponentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

bool IsValidRulePath(std::string_view path, Subtree subtree) {
  if (subtree == Subtree::kAllowed && path.size() > 2 && path.substr(path.size() - 2) == ".*") {
    path.remove_suffix(2);
  }
  if (path.empty()) return false;
  bool component_empty = true;
  for (char c : path) {
    if (c == '.') {
      if (component_empty) return false;
      component_empty = true;
    } else if (IsComponentChar(c)) {
      component_empty = false;
    } else {
      return false;
    }
  }
  return !component_empty;
}

Result<IdentifierRules> ParseIdentifierRules(std::string_view toml_text,
                                             const std::string& display_name) {
  Parser parser(display_name);
  IdentifierRules rules;
  rules.source_text_hash_input = std::string(toml_text);
  rules.source_name = display_name;
#if TOML_EXCEPTIONS
  toml::table root;
  try {
    root = toml::parse(toml_text, display_name);
  } catch (const toml::parse_error& e) {
    return parser.ErrorAt(static_cast<int>(e.source().begin.line), std::string(e.description()));
  }
#else
  toml::parse_result parsed = toml::parse(toml_text, display_name);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    return parser.ErrorAt(static_cast<int>(e.source().begin.line), std::string(e.description()));
  }
  toml::table root = std::move(parsed).table();
#endif
  DV_RETURN_IF_ERROR(parser.ParseRoot(root, &rules));
  return rules;
}

Result<IdentifierRules> LoadIdentifierRules(Env* env, const std::string& path) {
  Result<std::string> text = ReadFileToString(env, path);
  if (!text.ok()) return text.status().Context("identifier policy " + path);
  return ParseIdentifierRules(text.value(), path);
}

}  // namespace davault::policy
