//! Scratch files for what is too large to hold in memory (the runs of an external sort, a
//! replay's recorded trace): a folder of its own under the system's temporary folder (`TMPDIR`
//! sets it), removed with everything in it when the last handle to it goes, and the byte-level
//! helpers to write records into it and read them back with a fixed buffer. Knows nothing of
//! what the records mean.
//!
//! A process killed before it drops the folder leaves it behind: its name starts
//! `natsim-scratch-` and holds the process id.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Buffer of a writer, and of a reader.
const WRITE_BUFFER: usize = 256 * 1024;
const READ_BUFFER: usize = 64 * 1024;

/// A scratch folder, removed when dropped.
#[derive(Debug)]
pub(crate) struct SpillDir {
    path: PathBuf,
}

impl SpillDir {
    /// A new, empty folder under the system's temporary folder.
    pub(crate) fn new() -> io::Result<Arc<SpillDir>> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("natsim-scratch-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(Arc::new(SpillDir { path }))
    }

    /// The path of file `name` in the folder.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A file of records written one after another, each `len` bytes of payload behind a one-byte
/// length (so variable-length records read back without a parser of their own).
pub(crate) struct RecordWriter {
    out: BufWriter<File>,
    scratch: Vec<u8>,
}

impl RecordWriter {
    pub(crate) fn create(path: &Path) -> io::Result<Self> {
        Ok(RecordWriter {
            out: BufWriter::with_capacity(WRITE_BUFFER, File::create(path)?),
            scratch: Vec::with_capacity(256),
        })
    }

    /// Writes one record built by `fill` (at most 255 bytes).
    pub(crate) fn write(&mut self, fill: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        self.scratch.clear();
        self.scratch.push(0);
        fill(&mut self.scratch);
        let len = self.scratch.len() - 1;
        debug_assert!(len <= 255, "a record is at most 255 bytes");
        self.scratch[0] = len as u8;
        self.out.write_all(&self.scratch)
    }

    /// Flushes the buffer (a write error shows here, not at the drop).
    pub(crate) fn finish(self) -> io::Result<()> {
        self.out.into_inner().map_err(|e| e.into_error())?;
        Ok(())
    }
}

/// Reads back what a [`RecordWriter`] wrote, one record at a time, through a fixed buffer.
pub(crate) struct RecordReader {
    file: File,
    buf: Box<[u8]>,
    at: usize,
    filled: usize,
}

impl RecordReader {
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        Ok(RecordReader {
            file: File::open(path)?,
            buf: vec![0; READ_BUFFER].into_boxed_slice(),
            at: 0,
            filled: 0,
        })
    }

    /// The next record's payload, or `None` at the end of the file.
    pub(crate) fn next(&mut self) -> io::Result<Option<&[u8]>> {
        if !self.ensure(1)? {
            return Ok(None);
        }
        let len = usize::from(self.buf[self.at]);
        if !self.ensure(1 + len)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "a scratch file ends inside a record",
            ));
        }
        let from = self.at + 1;
        self.at = from + len;
        Ok(Some(&self.buf[from..from + len]))
    }

    /// Whether `n` bytes are buffered from `at`, refilling as needed; false at the end.
    fn ensure(&mut self, n: usize) -> io::Result<bool> {
        if self.filled - self.at >= n {
            return Ok(true);
        }
        self.buf.copy_within(self.at..self.filled, 0);
        self.filled -= self.at;
        self.at = 0;
        while self.filled < n {
            let read = self.file.read(&mut self.buf[self.filled..])?;
            if read == 0 {
                return Ok(false);
            }
            self.filled += read;
        }
        Ok(true)
    }
}

/// Appends `value` as a LEB128 varint (7 bits a byte, low first).
#[inline]
pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads fields back from a record's payload, in the order they were put.
pub(crate) struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Fields { bytes, at: 0 }
    }

    #[inline]
    pub(crate) fn varint(&mut self) -> u64 {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte();
            value |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return value;
            }
            shift += 7;
        }
    }

    #[inline]
    pub(crate) fn byte(&mut self) -> u8 {
        let b = self.bytes[self.at];
        self.at += 1;
        b
    }

    #[inline]
    pub(crate) fn array<const N: usize>(&mut self) -> [u8; N] {
        let out: [u8; N] = self.bytes[self.at..self.at + N]
            .try_into()
            .expect("N bytes");
        self.at += N;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_as_written_and_the_folder_goes_with_its_handle() {
        let dir = SpillDir::new().unwrap();
        let path = dir.file("records");
        let mut writer = RecordWriter::create(&path).unwrap();
        let values = [0u64, 1, 127, 128, 300, u64::MAX, 1 << 40];
        // Enough records to refill the reader's buffer many times.
        for i in 0..50_000u64 {
            writer
                .write(|out| {
                    put_varint(out, values[i as usize % values.len()]);
                    out.extend_from_slice(&(i as u32).to_le_bytes());
                })
                .unwrap();
        }
        writer.finish().unwrap();
        let mut reader = RecordReader::open(&path).unwrap();
        let mut i = 0u64;
        while let Some(record) = reader.next().unwrap() {
            let mut fields = Fields::new(record);
            assert_eq!(fields.varint(), values[i as usize % values.len()]);
            assert_eq!(u32::from_le_bytes(fields.array()), i as u32);
            i += 1;
        }
        assert_eq!(i, 50_000);
        let folder = dir.path().to_path_buf();
        assert!(folder.exists());
        drop(reader);
        drop(dir);
        assert!(!folder.exists());
    }
}
