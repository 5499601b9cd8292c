import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

let modelID = "SmolLM2-135M-Instruct.Q4_1"
nonisolated(unsafe) let france: [String: Any] = ["model": modelID, "messages": [["role": "user", "content": "What is the capital of France?"]], "temperature": 0]

func with(_ base: [String: Any], _ extra: [String: Any]) -> [String: Any] { base.merging(extra) { $1 } }

/// The server as clients see it: a real `lorekeeper serve` process on loopback.
@Suite(.serialized) struct ServerTests {
    static let shared: Result<ServerProcess, any Error> = Result { try ServerProcess(["--parallel", "4"]) }
    var port: Int { get throws { try Self.shared.get().port } }

    func post(_ path: String, _ json: [String: Any], headers: [String: String] = [:]) throws -> HTTP.Response {
        try HTTP.request(port: port, "POST", path, json: json, headers: headers)
    }

    @Test func chatCompletionAnswersParisWithUsage() throws {
        let r = try post("/v1/chat/completions", france)
        #expect(r.status == 200)
        #expect(r.headers["content-type"] == "application/json")
        let choice = (r.json["choices"] as! [[String: Any]])[0]
        #expect((choice["message"] as! [String: Any])["content"] as? String == "The capital of France is Paris.")
        #expect((choice["message"] as! [String: Any])["role"] as? String == "assistant")
        #expect(choice["finish_reason"] as? String == "stop")
        #expect(r.json["object"] as? String == "chat.completion" && r.json["model"] as? String == modelID)
        let usage = r.json["usage"] as! [String: Any]
        #expect(usage["prompt_tokens"] as? Int == 37)
        let completion = usage["completion_tokens"] as! Int
        #expect(completion >= 7 && usage["total_tokens"] as? Int == 37 + completion)
    }

    @Test func streamingChatSendsRoleThenDeltasThenUsageThenDone() throws {
        let r = try post("/v1/chat/completions", with(france, ["stream": true, "stream_options": ["include_usage": true]]))
        #expect(r.status == 200 && r.headers["content-type"] == "text/event-stream")
        let events = HTTP.events(r.body)
        #expect(events.last == "[DONE]")
        let chunks = events.dropLast().map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        let first = (chunks[0]["choices"] as! [[String: Any]])[0]["delta"] as! [String: Any]
        #expect(first["role"] as? String == "assistant")
        var text = "", finish: String?
        for c in chunks.dropLast() {
            let choice = (c["choices"] as! [[String: Any]])[0]
            text += ((choice["delta"] as! [String: Any])["content"] as? String) ?? ""
            finish = choice["finish_reason"] as? String ?? finish
        }
        #expect(text == "The capital of France is Paris.")
        #expect(finish == "stop")
        let usageChunk = chunks.last!
        #expect((usageChunk["choices"] as! [Any]).isEmpty)
        #expect((usageChunk["usage"] as! [String: Any])["prompt_tokens"] as? Int == 37)
    }

    @Test func completionsTakeStringsAndListsAndEcho() throws {
        let r = try post("/v1/completions", ["model": modelID, "prompt": ["Hello, my name is", "The sky is"], "max_tokens": 4, "temperature": 0, "echo": true])
        #expect(r.status == 200 && r.json["object"] as? String == "text_completion")
        let choices = r.json["choices"] as! [[String: Any]]
        #expect(choices.map { $0["index"] as! Int } == [0, 1])
        #expect((choices[0]["text"] as! String).hasPrefix("Hello, my name is"))
        #expect((choices[1]["text"] as! String).hasPrefix("The sky is"))
        #expect(choices.allSatisfy { $0["finish_reason"] as? String == "length" })
        #expect((r.json["usage"] as! [String: Any])["completion_tokens"] as? Int == 8)
        let ids = try post("/v1/completions", ["model": modelID, "prompt": [19556, 28, 957, 1462, 314], "max_tokens": 3, "temperature": 0])
        let plain = try post("/v1/completions", ["model": modelID, "prompt": "Hello, my name is", "max_tokens": 3, "temperature": 0])
        #expect(((ids.json["choices"] as! [[String: Any]])[0]["text"] as? String) == ((plain.json["choices"] as! [[String: Any]])[0]["text"] as? String))
    }

    @Test func stopStringsAreNotEmitted() throws {
        let r = try post("/v1/chat/completions", with(france, ["stop": [" Paris", "zzz"]]))
        let choice = (r.json["choices"] as! [[String: Any]])[0]
        #expect((choice["message"] as! [String: Any])["content"] as? String == "The capital of France is")
        #expect(choice["finish_reason"] as? String == "stop")
    }

    @Test func twoChoicesAndSeedReproducibility() throws {
        let body: [String: Any] = ["model": modelID, "messages": [["role": "user", "content": "Write a word."]], "temperature": 1.0, "max_tokens": 12, "n": 2, "seed": 42]
        let a = try post("/v1/chat/completions", body), b = try post("/v1/chat/completions", body)
        func texts(_ r: HTTP.Response) -> [String] {
            (r.json["choices"] as! [[String: Any]]).map { ($0["message"] as! [String: Any])["content"] as! String }
        }
        #expect((a.json["choices"] as! [[String: Any]]).map { $0["index"] as! Int } == [0, 1])
        #expect(texts(a) == texts(b))
        let other = try post("/v1/chat/completions", with(body, ["seed": 7, "n": 1]))
        let third = try post("/v1/chat/completions", with(body, ["seed": 8, "n": 1]))
        #expect(texts(other) != texts(third) || texts(other) != [texts(a)[0]])
    }

    @Test func logprobsListTopAlternatives() throws {
        let r = try post("/v1/chat/completions", with(france, ["logprobs": true, "top_logprobs": 3, "max_tokens": 3]))
        let content = ((r.json["choices"] as! [[String: Any]])[0]["logprobs"] as! [String: Any])["content"] as! [[String: Any]]
        #expect(content.count == 3)
        for entry in content {
            #expect((entry["logprob"] as! Double) <= 0)
            #expect((entry["top_logprobs"] as! [Any]).count == 3)
        }
        #expect(content.map { $0["token"] as! String }.joined() == "The capital of")
    }

    @Test func errorsHaveStatusAndOpenAIShape() throws {
        func check(_ r: HTTP.Response, _ status: Int, param: String? = nil, code: String? = nil) {
            #expect(r.status == status, "\(r.text)")
            let error = r.json["error"] as? [String: Any]
            #expect(error?["message"] is String && error?["type"] is String, "\(r.text)")
            #expect(error.map { $0.keys.contains("param") && $0.keys.contains("code") } == true)
            if let param { #expect(error?["param"] as? String == param, "\(r.text)") }
            if let code { #expect(error?["code"] as? String == code, "\(r.text)") }
        }
        check(try HTTP.request(port: port, "POST", "/v1/chat/completions", body: Data("{not json".utf8)), 400, code: "invalid_json")
        check(try post("/v1/chat/completions", ["model": modelID]), 400, param: "messages")
        check(try post("/v1/chat/completions", with(france, ["max_tokens": "ten"])), 400, param: "max_tokens")
        check(try post("/v1/chat/completions", with(france, ["messages": "hi"])), 400, param: "messages")
        check(try post("/v1/chat/completions", with(france, ["top_p": 1.5])), 400, param: "top_p")
        check(try post("/v1/chat/completions", with(france, ["n": 0])), 400, param: "n")
        check(try post("/v1/chat/completions", with(france, ["messages": [["role": "wizard", "content": "x"]]])), 400)
        check(try post("/v1/chat/completions", with(france, ["model": "gpt-4"])), 404, param: "model", code: "model_not_found")
        check(try post("/v1/completions", ["model": modelID, "prompt": "x", "suffix": "y"]), 400, param: "suffix")
        check(try post("/v1/completions", ["model": modelID, "prompt": [999999]]), 400, param: "prompt")
        check(try HTTP.request(port: port, "GET", "/v1/nope"), 404)
        let huge = Data(count: 9 << 20)
        check(try HTTP.request(port: port, "POST", "/v1/chat/completions", body: huge), 413)
    }

    @Test func modelsHealthAndMetrics() throws {
        let models = try HTTP.request(port: port, "GET", "/v1/models")
        #expect(((models.json["data"] as! [[String: Any]]).map { $0["id"] as! String }).contains(modelID))
        #expect(try HTTP.request(port: port, "GET", "/health").json["status"] as? String == "ok")
        _ = try post("/v1/chat/completions", with(france, ["max_tokens": 2]))
        let metrics = try HTTP.request(port: port, "GET", "/metrics").text
        for name in ["lorekeeper_http_requests_total{route=\"/v1/chat/completions\",method=\"POST\",status=\"200\"}", "lorekeeper_generated_tokens_total",
                     "lorekeeper_prompt_tokens_total", "lorekeeper_queue_depth", "lorekeeper_active_sequences",
                     "lorekeeper_decode_tokens_per_second", "lorekeeper_prefill_tokens_per_second", "lorekeeper_kv_cache_bytes"] {
            #expect(metrics.contains(name), "\(name) missing")
        }
    }

    @Test func secondTurnReusesTheCachedPrefix() throws {
        let system = String(repeating: "Lorekeeper keeps the lore of the realm safe. ", count: 30)
        let first: [String: Any] = ["model": modelID, "max_tokens": 8, "temperature": 0,
                                    "messages": [["role": "system", "content": system], ["role": "user", "content": "Who keeps the lore?"]]]
        let r1 = try post("/v1/chat/completions", first)
        let answer = ((r1.json["choices"] as! [[String: Any]])[0]["message"] as! [String: Any])["content"] as! String
        let second = with(first, ["messages": [["role": "system", "content": system], ["role": "user", "content": "Who keeps the lore?"],
                                                ["role": "assistant", "content": answer], ["role": "user", "content": "And who else?"]]])
        let r2 = try post("/v1/chat/completions", second)
        let usage = r2.json["usage"] as! [String: Any]
        let cached = (usage["prompt_tokens_details"] as! [String: Any])["cached_tokens"] as! Int
        #expect(cached > 300, "cached \(cached) of \(usage["prompt_tokens"]!)")
    }
}

/// Behaviour under specific server settings, each with its own process.
@Suite(.serialized) struct ServerLifecycleTests {
    @Test func apiKeyIsRequiredWhenSet() throws {
        let server = try ServerProcess(["--api-key", "sekret"])
        defer { server.stop() }
        let missing = try HTTP.request(port: server.port, "POST", "/v1/chat/completions", json: france)
        #expect(missing.status == 401 && (missing.json["error"] as? [String: Any])?["code"] as? String == "invalid_api_key")
        let wrong = try HTTP.request(port: server.port, "GET", "/v1/models", headers: ["Authorization": "Bearer nope"])
        #expect(wrong.status == 401)
        let right = try HTTP.request(port: server.port, "POST", "/v1/chat/completions", json: with(france, ["max_tokens": 2]),
                                     headers: ["Authorization": "Bearer sekret"])
        #expect(right.status == 200)
        #expect(try HTTP.request(port: server.port, "GET", "/health").status == 200)
    }

    @Test func promptLongerThanTheContextIs400() throws {
        let server = try ServerProcess(["--ctx", "64"])
        defer { server.stop() }
        let long = String(repeating: "many words here ", count: 40)
        let r = try HTTP.request(port: server.port, "POST", "/v1/chat/completions",
                                 json: ["model": modelID, "messages": [["role": "user", "content": long]]])
        #expect(r.status == 400 && (r.json["error"] as? [String: Any])?["code"] as? String == "context_length_exceeded")
    }

    @Test func fullQueueIs429AndDisconnectFreesTheSlot() throws {
        let server = try ServerProcess(["--parallel", "1", "--max-queue", "0"])
        defer { server.stop() }
        let long = with(france, ["messages": [["role": "user", "content": "Tell me a very long story about dragons."]],
                                 "max_tokens": 2000, "stream": true, "temperature": 0.8, "stop": [String]()])
        let stream = try HTTP.Connection(port: server.port)
        stream.send("POST", "/v1/chat/completions", body: try JSONSerialization.data(withJSONObject: long))
        _ = stream.read(until: "data: ", count: 3)
        // The only slot is busy and no request may wait.
        let busy = try HTTP.request(port: server.port, "POST", "/v1/chat/completions", json: with(france, ["max_tokens": 2]))
        #expect(busy.status == 429, "\(busy.text)")
        // Hanging up frees the slot at once.
        close(stream.fd)
        var status = 0
        for _ in 0..<50 where status != 200 {
            usleep(100_000)
            status = try HTTP.request(port: server.port, "POST", "/v1/chat/completions", json: with(france, ["max_tokens": 2])).status
        }
        #expect(status == 200)
        let metrics = try HTTP.request(port: server.port, "GET", "/metrics").text
        #expect(metrics.contains("lorekeeper_completions_cancelled_total 1"), "\(metrics)")
    }

    @Test func sigtermFinishesRunningRequestsThenExits() throws {
        let server = try ServerProcess([])
        let body = try JSONSerialization.data(withJSONObject: with(france, ["max_tokens": 40, "stream": true,
                                                                        "messages": [["role": "user", "content": "Count from one to twenty."]]]))
        let stream = try HTTP.Connection(port: server.port)
        stream.send("POST", "/v1/chat/completions", body: body)
        _ = stream.read(until: "data: ", count: 2)
        kill(server.process.processIdentifier, SIGTERM)
        let rest = String(decoding: stream.readAll(), as: UTF8.self)
        #expect(rest.contains("data: [DONE]"), "stream was cut: \(rest.suffix(300))")
        #expect(server.stop() == 0)
        // No new connections afterwards.
        #expect(throws: (any Error).self) { try HTTP.request(port: server.port, "GET", "/health") }
    }
}
