@testable import Milter
import Testing

struct ListenAddressTests {
    @Test(arguments: [
        ("inet:127.0.0.1:8894", "inet:8894@127.0.0.1"),
        ("inet:8894@127.0.0.1", "inet:8894@127.0.0.1"),
        ("inet:localhost:8894", "inet:8894@localhost"),
        ("inet:8894", "inet:8894"),
        ("inet6:8894@[::1]", "inet6:8894@::1"),
        ("inet6:8894@::1", "inet6:8894@::1"),
        ("inet:[::1]:8894", "inet6:8894@::1"),
        ("unix:/var/run/breakwater/milter.sock", "local:/var/run/breakwater/milter.sock"),
        ("local:/tmp/m.sock", "local:/tmp/m.sock"),
        ("/tmp/m.sock", "local:/tmp/m.sock"),
        ("  INET:127.0.0.1:25  ", "inet:25@127.0.0.1"),
    ])
    func bothSpellingsBecomeLibmilterSpelling(spec: String, libmilter: String) throws {
        #expect(try ListenAddress(parsing: spec).libmilterSpec == libmilter)
    }

    @Test func postfixSpellingIsOfferedBackForMainCf() throws {
        #expect(try ListenAddress(parsing: "inet:8894@127.0.0.1").description == "inet:127.0.0.1:8894")
        #expect(try ListenAddress(parsing: "inet6:8894@::1").description == "inet:[::1]:8894")
        #expect(try ListenAddress(parsing: "local:/x").description == "unix:/x")
    }

    @Test(arguments: [
        ("", "empty"),
        ("inet:127.0.0.1", "missing port"),
        ("inet:127.0.0.1:99999", "port \"99999\""),
        ("inet:127.0.0.1:0", "port \"0\""),
        ("inet:host:", "port \"\""),
        ("inet:@127.0.0.1", "port \"\""),
        ("inet:8894@", "empty host"),
        ("inet:::1:8894", "IPv6 host needs brackets"),
        ("inet:[::1]8894", "expected \":PORT\""),
        ("unix:", "missing socket path"),
        ("tcp:1.2.3.4:25", "unknown kind \"tcp\""),
        ("127.0.0.1:25", "unknown kind \"127.0.0.1\""),
        ("milter", "no kind prefix"),
    ])
    func badAddressesNameTheProblem(spec: String, problem: String) {
        #expect {
            try ListenAddress(parsing: spec)
        } throws: { error in
            let text = String(describing: error)
            return text.hasPrefix("listen address \"\(spec)\": ") && text.contains(problem)
        }
    }
}
