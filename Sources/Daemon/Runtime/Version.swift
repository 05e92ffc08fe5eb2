/// The version `breakwater version` prints.
package enum BreakwaterVersion {
    package static let string = "0.1.0"
}
