import Scheduling

/// The Prometheus text exposition of the server's counters and gauges.
enum MetricsText {
    static func render(scheduler: Scheduler?, requests: [(path: String, status: Int, count: Int)]) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP lorekeeper_\(name) \(help)\n# TYPE lorekeeper_\(name) \(type)\n"
            for s in samples { out += "lorekeeper_\(name)\(s.labels) \(s.value)\n" }
        }
        metric("http_requests_total", "counter", "HTTP requests answered, by path and status.",
               requests.map { ("{path=\"\($0.path)\",status=\"\($0.status)\"}", "\($0.count)") })
        metric("model_ready", "gauge", "1 once the model is loaded.", [("", scheduler == nil ? "0" : "1")])
        guard let scheduler else { return out }
        let m = scheduler.metrics()
        metric("completions_started_total", "counter", "Completion requests accepted by the scheduler.", [("", "\(m.requestsStarted)")])
        metric("completions_finished_total", "counter", "Completion requests finished (including cancelled).", [("", "\(m.requestsFinished)")])
        metric("completions_cancelled_total", "counter", "Completion requests cancelled by their client.", [("", "\(m.requestsCancelled)")])
        metric("prompt_tokens_total", "counter", "Prompt tokens computed (prefill).", [("", "\(m.promptTokens)")])
        metric("prompt_tokens_cached_total", "counter", "Prompt tokens reused from the KV prefix cache.", [("", "\(m.promptTokensCached)")])
        metric("generated_tokens_total", "counter", "Tokens generated (decode).", [("", "\(m.generatedTokens)")])
        metric("forward_seconds_total", "counter", "Time spent in forward passes.", [("", "\(m.stepSeconds)")])
        metric("forward_steps_total", "counter", "Forward passes run.", [("", "\(m.steps)")])
        metric("queue_depth", "gauge", "Requests waiting for a free sequence slot.", [("", "\(m.queued)")])
        metric("active_sequences", "gauge", "Sequences being prefilled or decoded.", [("", "\(m.activeSequences)")])
        metric("kv_cache_bytes", "gauge", "KV cache memory of running sequences.", [("", "\(m.kvCacheBytes)")])
        metric("prefix_cache_bytes", "gauge", "KV cache memory kept for prefix reuse.", [("", "\(m.prefixCacheBytes)")])
        metric("prefill_tokens_per_second", "gauge", "Recent prefill throughput.", [("", "\(m.prefillTokensPerSecond)")])
        metric("decode_tokens_per_second", "gauge", "Recent decode throughput (all sequences).", [("", "\(m.decodeTokensPerSecond)")])
        return out
    }
}
