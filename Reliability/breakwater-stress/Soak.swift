/// `breakwater-stress soak`: not written yet (placeholder so the target builds while it is).
enum Soak {
    static func run(_ options: StressOptions) -> Int32 {
        StressOutput.error("soak: not implemented yet")
        return 64
    }
}
