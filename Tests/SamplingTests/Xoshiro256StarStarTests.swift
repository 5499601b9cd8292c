import Testing
@testable import Sampling

@Suite struct Xoshiro256StarStarTests {
    @Test func matchesPublishedOutputsFromState1234() {
        // The test vector rand_xoshiro publishes (produced with the reference xoshiro256starstar.c),
        // re-checked by compiling that reference C once offline.
        var rng = Xoshiro256StarStar(state: (1, 2, 3, 4))
        let expected: [UInt64] = [
            11520, 0, 1509978240, 1215971899390074240, 1216172134540287360,
            607988272756665600, 16172922978634559625, 8476171486693032832,
            10595114339597558777, 2904607092377533576,
        ]
        #expect((0..<10).map { _ in rng.next() } == expected)
    }

    @Test func splitMix64MatchesReference() {
        // splitmix64.c from x = 1234567: the commonly published vector, re-checked against the reference C.
        var x: UInt64 = 1234567
        let expected: [UInt64] = [
            6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821,
        ]
        #expect((0..<5).map { _ in Xoshiro256StarStar.splitMix64(&x) } == expected)
        var zero: UInt64 = 0
        #expect(Xoshiro256StarStar.splitMix64(&zero) == 0xE220_A839_7B1D_CDAF)
    }

    @Test func seedFillsTheStateWithSplitMix64() {
        // Reference C (state = four splitmix64 outputs from 42, then xoshiro256starstar.c's next()), run once offline.
        var rng = Xoshiro256StarStar(seed: 42)
        let expected: [UInt64] = [
            1546998764402558742, 6990951692964543102, 12544586762248559009, 17057574109182124193, 18295552978065317476,
        ]
        #expect((0..<5).map { _ in rng.next() } == expected)
    }

    @Test func unitDoubleIsTheTop53Bits() {
        var rng = Xoshiro256StarStar(state: (1, 2, 3, 4))
        #expect(rng.nextUnitDouble() == 5 * 0x1p-53)  // 11520 >> 11
        #expect(rng.nextUnitDouble() == 0)
        #expect(rng.nextUnitDouble() == Double(UInt64(1509978240) >> 11) * 0x1p-53)
        var seeded = Xoshiro256StarStar(seed: 1)
        for _ in 0..<10_000 {
            let u = seeded.nextUnitDouble()
            #expect(u >= 0 && u < 1)
        }
    }
}
