//! The loader and macro expander on damaged detections, always run (the `cargo fuzz`
//! target `detection` in `crates/content/fuzz` explores further): the examples cut,
//! with lines dropped, repeated and swapped, characters flipped. Each loads or is an
//! error naming its file; none may panic.

use firedrill_content::{default_macros, expand_macros, load_detection_file};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(r: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..1 + r.below(3) {
        if lines.is_empty() {
            break;
        }
        let i = r.below(lines.len());
        match r.below(6) {
            0 => lines.truncate(i),
            1 => {
                lines.remove(i);
            }
            2 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            3 => {
                let j = r.below(lines.len());
                lines.swap(i, j);
            }
            4 => {
                let l = &mut lines[i];
                let cut = r.below(l.len() + 1);
                l.truncate(l.floor_char_boundary(cut));
            }
            _ => {
                let junk = ["`", "(", "[", ": ", "- ", "'", "\"", "$x$", "```", "\t"];
                lines[i].push_str(junk[r.below(junk.len())]);
            }
        }
    }
    lines.join("\n")
}

#[test]
fn damaged_detections_load_or_are_located_errors() {
    let here = env!("CARGO_MANIFEST_DIR");
    let dir = format!("{here}/../../examples/detections/endpoint");
    let mut seeds: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let ext = p.extension().unwrap().to_string_lossy().into_owned();
            (ext, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    seeds.sort();
    let tmp = tempfile::tempdir().unwrap();
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    let (mut loaded, mut errors) = (0, 0);
    for round in 0..800 {
        let (ext, text) = &seeds[round % seeds.len()];
        let path = tmp.path().join(format!("d{round}.{ext}"));
        std::fs::write(&path, mutate(&mut r, text)).unwrap();
        match load_detection_file(&path) {
            Ok(ds) => {
                loaded += 1;
                for d in ds {
                    let _ = expand_macros(&d.search, default_macros());
                }
            }
            Err(e) => {
                errors += 1;
                assert_eq!(e.file, path);
                assert!(!e.message.is_empty());
            }
        }
    }
    assert!(loaded > 0 && errors > 0, "{loaded} loaded, {errors} errors");
}
