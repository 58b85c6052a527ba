//! Notices the SQLite registry file being removed or replaced while lkm runs. SQLite keeps
//! writing to the file it opened, so without this every change would be acknowledged and
//! then be gone at the next start. The file is identified by device and inode when it is
//! opened; every registry call checks that the path still names that file (one `stat`), and
//! the server probes it every second so the loss is logged even when nothing calls.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

#[derive(Debug)]
pub struct FileGuard {
    path: PathBuf,
    identity: (u64, u64),
    /// Set while the loss has been seen (and logged).
    lost: AtomicBool,
}

fn identity(path: &Path) -> std::io::Result<(u64, u64)> {
    let m = std::fs::metadata(path)?;
    Ok((m.dev(), m.ino()))
}

impl FileGuard {
    /// Remembers which file `path` names now.
    pub fn new(path: &Path) -> Result<FileGuard> {
        let identity = identity(path).map_err(|e| {
            Error::Unavailable(format!(
                "cannot inspect the registry file {}: {e}",
                path.display()
            ))
        })?;
        Ok(FileGuard {
            path: path.to_path_buf(),
            identity,
            lost: AtomicBool::new(false),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fails with UNAVAILABLE while the path does not name the file lkm opened. Only that
    /// very file (moved back) ends it: any other file at the path lacks what lkm wrote.
    pub fn check(&self) -> Result<()> {
        let now = identity(&self.path);
        if now.as_ref().is_ok_and(|id| *id == self.identity) {
            if self.lost.swap(false, Ordering::Relaxed) {
                tracing::warn!(file = %self.path.display(), "the registry file is back; lkm accepts changes again");
            }
            return Ok(());
        }
        if !self.lost.swap(true, Ordering::Relaxed) {
            let what = match &now {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => "removed".to_string(),
                Err(e) => format!("unreadable ({e})"),
                Ok(_) => "replaced by another file".to_string(),
            };
            tracing::error!(
                file = %self.path.display(),
                "the registry file was {what} while lkm runs: lkm refuses every call (a change would be lost) until that very file is back; restart lkm to open the registry at that path again"
            );
        }
        Err(self.error())
    }

    fn error(&self) -> Error {
        Error::Unavailable(format!(
            "the registry file {} was removed or replaced while lkm runs, so lkm refuses calls (changes would be lost); restart lkm (it opens the file at that path, or creates an empty registry)",
            self.path.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_and_replacement_are_noticed_for_good() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lkm.db");
        std::fs::write(&path, b"a").unwrap();
        // Held open, as SQLite holds it: its inode cannot be reused while it is removed.
        let _open = std::fs::File::open(&path).unwrap();
        let guard = FileGuard::new(&path).unwrap();
        guard.check().unwrap();
        // Rewritten in place: the same file.
        std::fs::write(&path, b"b").unwrap();
        guard.check().unwrap();
        std::fs::remove_file(&path).unwrap();
        let e = guard.check().unwrap_err();
        assert!(matches!(e, Error::Unavailable(_)), "{e}");
        assert!(e.to_string().contains("restart lkm"), "{e}");
        // Another file at the path: still refused.
        std::fs::write(&path, b"c").unwrap();
        assert!(guard.check().is_err());

        let other = dir.path().join("other.db");
        std::fs::write(&other, b"a").unwrap();
        let guard = FileGuard::new(&other).unwrap();
        let moved_in = dir.path().join("moved.db");
        std::fs::write(&moved_in, b"x").unwrap();
        std::fs::rename(&moved_in, &other).unwrap();
        assert!(guard.check().is_err(), "replaced by rename");
    }
}
