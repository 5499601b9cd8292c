import Testing
import TestSupport

/// The Q4_K and Q6_K quantisers that write the 7B-shaped Q4_K_M file (scripts/make-7b-test-model.py), decoded by
/// gguf-py's reference dequantise (Tests/Python/test_k_quant_writer.py), and the file's tensor types.
@Suite struct KQuantWriterTests {
    @Test func blocksDecodeWithinHalfAStepByGGUFPy() throws {
        let (status, output) = try Repo.runScript("python3", [Repo.root + "/Tests/Python/test_k_quant_writer.py"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("3 passed, 0 failed"), "\(output)")
    }
}
