/// `breakwater-stress flood`: not written yet (placeholder so the target builds while it is).
enum LiveFlood {
    static func run(_ options: StressOptions) -> Int32 {
        StressOutput.error("flood: not implemented yet")
        return 64
    }
}
