/// The version `breakwater version` prints.
public enum BreakwaterVersion {
    public static let string = "0.1.0"
}
