//! What a command prints, and where: `--format` chooses the report on stdout (the console
//! table, the JSON document or a Markdown comment), `--quiet` prints nothing but errors.
//!
//! Invariant: in JSON and Markdown formats stdout holds the document and nothing else (notes,
//! estimates and progress go to stderr, and the notes are in the JSON as `warnings`); with
//! `--quiet` neither stdout nor stderr carries anything but an error. Files are written the
//! same whatever the format.

/// The report printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// The console table (the default).
    Table,
    /// The JSON document (schemas in docs/schema/, described in docs/outputs.md).
    Json,
    /// A compact comparison to paste into a pull-request comment.
    Markdown,
}

/// `--format` and `--quiet`, shared by `run`, `sweep`, `validate`, `catalog` and `diff`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct Print {
    /// What to print on stdout: table, json (a documented, versioned document) or markdown
    /// (a pull-request comment). Progress and notes stay on stderr.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Print nothing but errors; files are written as usual.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

impl Print {
    /// A note on stderr (not an error): the run goes on. Silent with `--quiet`.
    pub(crate) fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Whether anything may go to stderr besides errors (estimates, progress).
    pub(crate) fn chatty(&self) -> bool {
        !self.quiet
    }

    /// Prints the report in the chosen format: each closure renders one, and only the chosen
    /// one runs. Nothing with `--quiet`.
    pub(crate) fn report(
        &self,
        table: impl FnOnce() -> String,
        json: impl FnOnce() -> String,
        markdown: impl FnOnce() -> String,
    ) {
        if self.quiet {
            return;
        }
        self.out(&match self.format {
            Format::Table => table(),
            Format::Json => json(),
            Format::Markdown => markdown(),
        });
    }

    /// Text already rendered in the chosen format, on stdout. Nothing with `--quiet`.
    pub(crate) fn out(&self, text: &str) {
        if !self.quiet {
            print!("{text}");
        }
    }

    /// Lines that only the table format prints on stdout (which files were written): a
    /// document format keeps stdout to the document.
    pub(crate) fn table_line(&self, text: &str) {
        if !self.quiet && self.format == Format::Table {
            println!("{text}");
        }
    }
}
