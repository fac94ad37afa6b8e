// davault-bench-limit: the ingest path minus the index (inflate, record spans, identifier
// extraction, encryption, durable write) over the given files, to set the ingest target.
//
// Usage: davault-bench-limit --out FILE [--threads N] [--sync end|file] [--policy TOML] FILE...
// Prints one JSON object on stdout: bytes (uncompressed), compressed_bytes, records, identifiers,
// seconds, mb_per_s, threads, syncs. --sync end (default) makes the output durable once at the
// end, which is the throughput of the stages; --sync file makes it durable after every input
// file, as ingest's one transaction per file must, so the difference is the cost of the fsyncs.
// With N > 1 the files are dealt round-robin to N threads, each with its own reader, extractor and
// output file (FILE.N), which is how ingest could use N cores.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/crypto.h"
#include "davault/env.h"
#include "davault/status.h"
#include "format/record_reader.h"
#include "identity/extractor.h"
#include "policy/identifier_rules.h"

namespace {

using davault::Env;
using davault::Status;

struct Totals {
  uint64_t bytes = 0, compressed = 0, records = 0, identifiers = 0, syncs = 0;
};

enum class SyncEvery { kEnd, kFile };

// One worker: its own extractor, key and output file, over files[i] for i = index mod threads.
Status RunWorker(const davault::policy::IdentifierRules& rules,
                 const std::vector<std::string>& files, size_t index, size_t threads,
                 SyncEvery sync, const std::string& out_path, Totals* totals) {
  Env* env = Env::Default();
  DV_ASSIGN_OR_RETURN(auto extractor, davault::identity::Extractor::Create(rules));
  DV_ASSIGN_OR_RETURN(auto out, env->NewWritable(out_path, davault::CreateMode::kTruncate, 0600));
  davault::crypto::Key key = davault::crypto::Key::Random();
  std::string sealed, ad;
  std::string buffered;  // sealed bytes are written in 1 MiB appends, as a segment writer would
  buffered.reserve(2 << 20);
  for (size_t i = index; i < files.size(); i += threads) {
    DV_ASSIGN_OR_RETURN(auto in, env->OpenSequential(files[i]));
    davault::format::RecordReader reader(in.get(), davault::format::Limits{},
                                         "file " + std::to_string(i));
    std::string_view raw;
    while (true) {
      DV_ASSIGN_OR_RETURN(bool more, reader.Next(&raw));
      if (!more) break;
      auto ex = extractor->Extract(raw);
      if (!ex.ok())
        return Status::Failed("file " + std::to_string(i) + ": record " +
                              std::to_string(reader.records()) + ": " + ex.status().message());
      totals->identifiers += ex.value().identifiers.size();
      // The associated data binds each payload to its place, as the archive's does.
      ad.assign("davault/payload/v1");
      ad.append(reinterpret_cast<const char*>(&totals->records), sizeof(totals->records));
      sealed.clear();
      davault::crypto::SealAppend(key, raw, ad, &sealed);
      buffered.append(sealed);
      if (buffered.size() >= (1u << 20)) {
        DV_RETURN_IF_ERROR(out->Append(buffered));
        buffered.clear();
      }
      ++totals->records;
    }
    totals->bytes += reader.inflated_bytes();
    totals->compressed += reader.compressed_bytes();
    if (!buffered.empty()) DV_RETURN_IF_ERROR(out->Append(buffered));
    buffered.clear();
    if (sync == SyncEvery::kFile) {
      DV_RETURN_IF_ERROR(out->Sync());
      ++totals->syncs;
    }
  }
  if (sync == SyncEvery::kEnd) {
    DV_RETURN_IF_ERROR(out->Sync());
    ++totals->syncs;
  }
  return out->Close();
}

int Usage() {
  std::fprintf(stderr,
               "usage: davault-bench-limit --out FILE [--threads N] [--sync end|file] "
               "[--policy TOML] FILE...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path, policy_path = DAVAULT_BENCH_DEFAULT_POLICY;
  size_t threads = 1;
  SyncEvery sync = SyncEvery::kEnd;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--out" || a == "--threads" || a == "--policy" || a == "--sync") && i + 1 >= argc)
      return Usage();
    if (a == "--out") {
      out_path = argv[++i];
    } else if (a == "--threads") {
      threads = static_cast<size_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (a == "--sync") {
      std::string v = argv[++i];
      if (v != "end" && v != "file") return Usage();
      sync = v == "end" ? SyncEvery::kEnd : SyncEvery::kFile;
    } else if (a == "--policy") {
      policy_path = argv[++i];
    } else if (a.rfind("--", 0) == 0) {
      return Usage();
    } else {
      files.push_back(a);
    }
  }
  if (out_path.empty() || files.empty() || threads < 1) return Usage();
  if (!davault::crypto::Init().ok()) {
    std::fprintf(stderr, "davault-bench-limit: libsodium failed to initialise\n");
    return 1;
  }
  auto rules = davault::policy::LoadIdentifierRules(Env::Default(), policy_path);
  if (!rules.ok()) {
    std::fprintf(stderr, "davault-bench-limit: %s\n", rules.status().message().c_str());
    return 1;
  }
  if (threads > files.size()) threads = files.size();

  std::vector<Totals> totals(threads);
  std::vector<Status> status(threads);
  auto t0 = std::chrono::steady_clock::now();
  {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) {
      std::string path = threads == 1 ? out_path : out_path + "." + std::to_string(t);
      pool.emplace_back([&, t, path] {
        status[t] = RunWorker(rules.value(), files, t, threads, sync, path, &totals[t]);
      });
    }
    for (auto& th : pool) th.join();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Totals sum;
  for (size_t t = 0; t < threads; ++t) {
    if (!status[t].ok()) {
      std::fprintf(stderr, "davault-bench-limit: %s\n", status[t].message().c_str());
      return 1;
    }
    sum.bytes += totals[t].bytes;
    sum.compressed += totals[t].compressed;
    sum.records += totals[t].records;
    sum.identifiers += totals[t].identifiers;
    sum.syncs += totals[t].syncs;
  }
  std::printf(
      "{\"threads\": %zu, \"bytes\": %llu, \"compressed_bytes\": %llu, \"records\": %llu, "
      "\"identifiers\": %llu, \"syncs\": %llu, \"seconds\": %.6f, \"mb_per_s\": %.3f}\n",
      threads, static_cast<unsigned long long>(sum.bytes),
      static_cast<unsigned long long>(sum.compressed), static_cast<unsigned long long>(sum.records),
      static_cast<unsigned long long>(sum.identifiers), static_cast<unsigned long long>(sum.syncs),
      secs, sum.bytes / 1e6 / secs);
  return 0;
}
