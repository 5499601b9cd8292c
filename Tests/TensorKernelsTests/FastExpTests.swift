#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import TensorKernels

@Suite struct FastExpTests {
    @Test func agreesWithLibmOverTheWholeRange() {
        var worst: Float = 0
        var x: Float = -87.3
        while x <= 0 {
            let reference = expf(x)
            worst = max(worst, abs(fastExp(x) - reference) / reference)
            x += 1e-4
        }
        #expect(worst < 3e-7, "max relative error \(worst)")  // 2.5 ulp
    }

    @Test func edges() {
        #expect(fastExp(0) == 1)
        #expect(fastExp(-0.0) == 1)
        #expect(fastExp(-87.4) == 0 && fastExp(-1000) == 0 && fastExp(-.infinity) == 0)
        #expect(fastExp(-87.3) > 0)
        #expect(fastExp(.nan).isNaN)
    }
}
