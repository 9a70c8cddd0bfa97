import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CPU time and peak memory of this process, read from the kernel, for `emotiond bench`.
///
/// Why CPU time and not wall time: DESIGN section 7 states its per-clip targets in CPU time,
/// so they stay meaningful on a machine loaded by other work, where wall time is not.
public enum BenchResourceUsage {
    /// User + system CPU seconds used so far by the whole process (every thread, including
    /// OpenBLAS's and OpenCV's helper threads): `getrusage(RUSAGE_SELF)`.
    public static func processCPUSeconds() -> Double {
        var usage = rusage()
        guard getrusage(__rusage_who_t(truncatingIfNeeded: RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Peak resident set size in KiB as `getrusage` reports it (`ru_maxrss`, KiB on Linux).
    public static func maxRSSKiB() -> Int {
        var usage = rusage()
        guard getrusage(__rusage_who_t(truncatingIfNeeded: RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss)
    }

    /// Peak resident set size in KiB from `/proc/self/status` (`VmHWM`), nil off Linux.
    public static func vmHWMKiB() -> Int? { procStatusKiB("VmHWM") }

    /// Current resident set size in KiB from `/proc/self/status` (`VmRSS`), nil off Linux.
    public static func vmRSSKiB() -> Int? { procStatusKiB("VmRSS") }

    private static func procStatusKiB(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let digits = line.dropFirst(key.count + 1).filter(\.isNumber)
            return Int(digits)
        }
        return nil
    }

    private static func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
}
