import Foundation
import Testing
import TestSupport

/// The knowledge loop through HTTP only (Tests/Python/test_knowledge_loop.py, which starts its own
/// servers and prints one line per check): upload, fine-tune while chatting, stream progress,
/// continue, roll back, restart; the official `openai` client; kill -9 during a job, an upload and
/// right after an activation; bad input.
@Suite struct KnowledgeLoopTests {
    @Test func uploadTrainServeRollBackAndSurviveKills() throws {
        let (status, output) = try Repo.runScript("python3", [
            Repo.root + "/Tests/Python/test_knowledge_loop.py",
            "--binary", try Repo.executable, "--model", try Repo.defaultModel,
        ])
        #expect(status == 0, "\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }
}
