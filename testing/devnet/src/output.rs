//! Live progress: on a terminal, a progress bar over the run's slots with the slot lines printed above
//! it (indicatif); otherwise plain lines, one per slot, for logs and CI.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Where progress goes.
pub struct Display {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Display {
    /// A bar over `slots` slots when stdout is a terminal (`slots == 0`: an open-ended run, a
    /// spinner); plain lines otherwise. `quiet` prints nothing (tests that read the records).
    pub fn new(slots: u64, quiet: bool) -> Self {
        let bar = (!quiet && std::io::stdout().is_terminal()).then(|| {
            let bar = if slots == 0 {
                ProgressBar::new_spinner()
            } else {
                ProgressBar::new(slots)
            };
            bar.set_draw_target(ProgressDrawTarget::stdout());
            let template = if slots == 0 {
                "{spinner} {elapsed_precise} {msg}"
            } else {
                "{elapsed_precise} [{bar:30}] slot {pos}/{len} {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        Self { bar, quiet }
    }

    /// A line above the bar (or on stdout).
    pub fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.println(text),
            None => println!("{text}"),
        }
    }

    /// The bar's position (slots done) and message; nothing without a bar.
    pub fn status(&self, done: u64, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            bar.set_message(message.to_string());
        }
    }

    /// Removes the bar, leaving the printed lines.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.finish();
    }
}
