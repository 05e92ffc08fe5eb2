package import BreakwaterConfig
package import Glibc

extension FileIO {
    /// Replaces `path` with `bytes` so that a crash at any moment leaves either the old file or
    /// the new one, never a mix: temp file in the same folder, fsync, rename, fsync the folder.
    package static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) -> Result<Void, FileError> {
        let folder = directory(of: path)
        let temp = "\(folder)/\(temporaryPrefix(of: path))\(getpid())"
        var fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0, errno == ENOENT, mkdir(folder, 0o750) == 0 {
            // First run outside the package (which creates /var/lib/breakwater): make the
            // state folder, owner-only, rather than lose every snapshot to a missing folder.
            fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        }
        guard fd >= 0 else { return .failure(FileError(errno, temp)) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = FileError(errno, temp)
                close(fd); unlink(temp)
                return .failure(e)
            }
            done += n
        }
        if fsync(fd) != 0 {
            let e = FileError(errno, temp)
            close(fd); unlink(temp)
            return .failure(e)
        }
        close(fd)
        if rename(temp, path) != 0 {
            let e = FileError(errno, path)
            unlink(temp)
            return .failure(e)
        }
        // why: the rename is durable only once the folder's entry is on disk.
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
        return .success(())
    }

    /// The name `writeAtomically` gives its temporary file for `path`, but the writer's pid that
    /// ends it: `.NAME.tmp.`.
    static func temporaryPrefix(of path: String) -> String { ".\(basename(of: path)).tmp." }
}
