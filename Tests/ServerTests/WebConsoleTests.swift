import Foundation
import Testing
import TestSupport

/// The web console in headless Chromium (Tests/Python/test_web_console.py starts its own server and
/// prints one line per check; screenshots go to artefacts/web-console), and its Markdown rendering's
/// unit test (Tests/Python/test_web_markdown.py).
@Suite(.serialized) struct WebConsoleTests {
    @Test func consoleWorksInABrowser() throws {
        let (status, output) = try Repo.runScript("python3", [
            Repo.root + "/Tests/Python/test_web_console.py",
            "--binary", try Repo.executable, "--model", try Repo.defaultModel,
        ])
        #expect(status == 0, "\(output)")
        // The knowledge steps skip only without the files API, which this server has.
        #expect(output.contains(" 0 failed, 0 skipped"), "\(output)")
    }

    @Test func markdownRenderingEscapesModelOutput() throws {
        let (status, output) = try Repo.runScript("python3", [Repo.root + "/Tests/Python/test_web_markdown.py"])
        #expect(status == 0, "\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }
}
