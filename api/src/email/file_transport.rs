//! The embedded default: without an SMTP server, each message becomes an
//! `.eml` file in a folder, which any mail client opens. The demo then works
//! with nothing to install.
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Writes `bytes` as `<dir>/<id>.eml`, atomically: a reader never sees half
/// a message, and a retry after a crash overwrites rather than duplicates.
pub async fn write_eml(dir: &Path, id: Uuid, bytes: Vec<u8>) -> std::io::Result<PathBuf> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{id}.eml"));
        let partial = dir.join(format!(".{id}.eml.partial"));
        std::fs::write(&partial, bytes)?;
        std::fs::rename(&partial, &path)?;
        Ok(path)
    })
    .await
    .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writing_twice_leaves_one_file() {
        let dir = std::env::temp_dir().join(format!("tremplin-eml-{}", Uuid::now_v7()));
        let id = Uuid::now_v7();
        write_eml(&dir, id, b"first".to_vec()).await.unwrap();
        let path = write_eml(&dir, id, b"second".to_vec()).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
