/// `breakwater-stress hostile`: not written yet (placeholder so the target builds while it is).
enum HostileFlood {
    static func run(_ options: StressOptions) -> Int32 {
        StressOutput.error("hostile: not implemented yet")
        return 64
    }
}
