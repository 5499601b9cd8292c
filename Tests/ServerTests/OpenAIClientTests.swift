import Foundation
import Testing
import TestSupport

/// The official `openai` Python package against the real server (Tests/Python/test_openai_client.py,
/// which starts its own server and prints one line per check).
@Suite struct OpenAIClientTests {
    @Test func officialPythonClientWorksUnchanged() throws {
        let (status, output) = try Repo.runScript("python3", [
            Repo.root + "/Tests/Python/test_openai_client.py",
            "--binary", try Repo.executable, "--model", try Repo.defaultModel,
        ])
        #expect(status == 0, "\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }
}
