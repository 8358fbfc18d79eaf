//! SMILES: a tokenizer (multi-character tokens such as `Cl`, `Br`, `%12` and bracket atoms) and a
//! validity checker that follows what RDKit's `MolFromSmiles` accepts with default sanitisation:
//!
//! 1. **syntax** — atoms of the organic subset (`B C N O P S F Cl Br I`, aromatic `b c n o p s`)
//!    or in brackets (`[nH]`, `[NH3+]`, `[13CH2-]`, `[C@@H]`), bonds `- = # $ : / \`, branches,
//!    ring closures (`1`, `%12`), `.`; a branch or ring left open, a bond with no atom after it,
//!    a ring closure to the atom itself or doubling an existing bond, or ring-bond symbols that
//!    disagree are errors;
//! 2. **aromaticity** — a lower-case atom must lie on a ring, and the aromatic atoms that must
//!    take a double bond (those whose default valence is not yet reached by their single bonds
//!    and hydrogens: `c`, pyridine-like `n`, `[nH+]`, …, not `o`, `s`, `[nH]` or a three-bonded
//!    `n`) must be paired by a perfect matching over the aromatic bonds (a Kekulé structure);
//! 3. **valence** — each atom's bonds (and bracket hydrogens) within its largest allowed valence,
//!    a charged atom taking the valences of the element with its electron count (`N+` as C,
//!    `O-` as F): H 1, B 3, C 4, N 3, O 2, F 1, Si 4, P 3 5 7, S 2 4 6, Cl 1, Br 1, I 1 3 5, Se 2 4 6.
//!    Atoms of other elements are not valence-checked. A nitro group `N(=O)=O` passes (RDKit's
//!    clean-up rewrites it as `[N+](=O)[O-]` first).
//!
//! ```
//! use recon_chem::smiles::{check, tokenize};
//! assert_eq!(tokenize("ClC[nH]1").unwrap(), ["Cl", "C", "[nH]", "1"]);
//! assert!(check("c1ccccc1O").is_ok());
//! assert!(check("c1cccc1").unwrap_err().contains("Kekulé"));
//! assert!(check("CC(C)(C)(C)C").unwrap_err().contains("valence"));
//! assert!(check("C1CC").unwrap_err().contains("ring 1"));
//! ```

use crate::elements::ELEMENTS;

const ORGANIC: [&str; 10] = ["Cl", "Br", "B", "C", "N", "O", "P", "S", "F", "I"];
const AROMATIC: [&str; 6] = ["b", "c", "n", "o", "p", "s"];

/// Splits a SMILES string into tokens; an error names the first character no token starts with.
pub fn tokenize(s: &str) -> Result<Vec<String>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        let len = if c == '[' {
            match s[i..].find(']') {
                Some(j) => j + 1,
                None => return Err(format!("a '[' at position {} is never closed", i + 1)),
            }
        } else if c == '%' {
            if i + 2 < b.len() && b[i + 1].is_ascii_digit() && b[i + 2].is_ascii_digit() {
                3
            } else {
                return Err(format!("'%' at position {} is not followed by two digits", i + 1));
            }
        } else if let Some(t) = ORGANIC.iter().chain(AROMATIC.iter()).find(|t| s[i..].starts_with(**t)) {
            t.len()
        } else if "-=#$:/\\().".contains(c) || c.is_ascii_digit() {
            1
        } else {
            let ch = s[i..].chars().next().unwrap_or('?');
            return Err(format!("'{ch}' at position {} is not SMILES", i + 1));
        };
        out.push(s[i..i + len].to_string());
        i += len;
    }
    Ok(out)
}

#[derive(Debug, Clone)]
struct Atom {
    z: usize,
    aromatic: bool,
    /// Bracket atoms: hydrogens and charge are given.
    bracket: Option<(u32, i32)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(u8)]
enum Bond {
    Single,
    Double,
    Triple,
    Quadruple,
    Aromatic,
}

impl Bond {
    fn order(self) -> u32 {
        match self {
            Bond::Single | Bond::Aromatic => 1,
            Bond::Double => 2,
            Bond::Triple => 3,
            Bond::Quadruple => 4,
        }
    }
}

fn bracket_atom(t: &str) -> Result<Atom, String> {
    let inner = &t[1..t.len() - 1];
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1; // isotope
    }
    let rest = &inner[i..];
    let aromatic_two = ["se", "as", "te"];
    let (sym, aromatic) = if let Some(a) = aromatic_two.iter().find(|a| rest.starts_with(**a)) {
        (a.to_string(), true)
    } else if rest.starts_with(|c: char| c.is_ascii_lowercase()) {
        (rest[..1].to_string(), true)
    } else if rest.starts_with(|c: char| c.is_ascii_uppercase()) {
        let two = rest.len() >= 2 && rest.as_bytes()[1].is_ascii_lowercase();
        let cand = &rest[..if two { 2 } else { 1 }];
        if two && ELEMENTS.iter().any(|e| e.symbol == cand) {
            (cand.to_string(), false)
        } else {
            (rest[..1].to_string(), false)
        }
    } else {
        return Err(format!("bracket atom {t} has no element"));
    };
    let mut element = sym.clone();
    if aromatic {
        element[..1].make_ascii_uppercase();
        if !["B", "C", "N", "O", "P", "S", "Se", "As", "Te"].contains(&element.as_str()) {
            return Err(format!("bracket atom {t}: '{sym}' cannot be aromatic"));
        }
    }
    let z = ELEMENTS
        .iter()
        .position(|e| e.symbol == element)
        .ok_or(format!("bracket atom {t}: unknown element '{sym}'"))?;
    let mut j = i + sym.len();
    // Chirality.
    while j < b.len() && b[j] == b'@' {
        j += 1;
    }
    if inner[j..].starts_with("TH")
        || inner[j..].starts_with("AL")
        || inner[j..].starts_with("SP")
        || inner[j..].starts_with("TB")
        || inner[j..].starts_with("OH")
    {
        j += 2;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
    }
    let mut h = 0;
    if j < b.len() && b[j] == b'H' {
        j += 1;
        h = 1;
        if j < b.len() && b[j].is_ascii_digit() {
            h = u32::from(b[j] - b'0');
            j += 1;
        }
    }
    let mut charge = 0i32;
    if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
        let sign = if b[j] == b'+' { 1 } else { -1 };
        let c = b[j];
        j += 1;
        let mut k = 1;
        if j < b.len() && b[j].is_ascii_digit() {
            let start = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            k = inner[start..j].parse::<i32>().map_err(|_| format!("bracket atom {t}: bad charge"))?;
        } else {
            while j < b.len() && b[j] == c {
                j += 1;
                k += 1;
            }
        }
        charge = sign * k;
    }
    if j < b.len() && b[j] == b':' {
        j += 1;
        let start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if start == j {
            return Err(format!("bracket atom {t}: atom class without digits"));
        }
    }
    if j != b.len() {
        return Err(format!("bracket atom {t}: cannot read '{}'", &inner[j..]));
    }
    Ok(Atom { z, aromatic, bracket: Some((h, charge)) })
}

/// Allowed valences of the element with atomic number `z` (1-based), or `None` when unchecked.
fn valences(z: i64) -> Option<&'static [u32]> {
    Some(match z {
        1 => &[1],
        5 => &[3],
        6 => &[4],
        7 => &[3],
        8 => &[2],
        9 => &[1],
        14 => &[4],
        15 => &[3, 5, 7],
        16 => &[2, 4, 6],
        17 => &[1],
        34 => &[2, 4, 6],
        35 => &[1],
        53 => &[1, 3, 5],
        _ => return None,
    })
}

/// The valences an atom may take: those of the element with its electron count.
fn atom_valences(a: &Atom) -> Option<&'static [u32]> {
    let charge = a.bracket.map_or(0, |b| b.1);
    valences(a.z as i64 + 1 - i64::from(charge))
}

/// Parses and checks `s`; `Err` says why RDKit would refuse it.
pub fn check(s: &str) -> Result<(), String> {
    analyse(&tokenize(s)?).map(|_| ())
}

/// [`check`] on a string already split by [`tokenize`].
pub fn check_tokens(tokens: &[String]) -> Result<(), String> {
    analyse(tokens).map(|_| ())
}

/// A molecule's identity for counting unique and novel molecules: a 64-bit hash of its graph,
/// independent of how the string orders the atoms, numbers the rings or nests the branches.
///
/// Atoms are labelled by element, aromatic flag, charge, hydrogen count (bracketed or implied by
/// the smallest allowed valence, as RDKit fills them in), degree, and the size and ring count of
/// their connected component; bonds by type. The labels are refined by their neighbours'
/// (Weisfeiler–Lehman, one round per atom) and the key hashes the sorted final labels. Not
/// RDKit's canonical SMILES: stereo marks are ignored, and an aromatic spelling and a Kekulé
/// spelling of one ring (`c1ccccc1`, `C1=CC=CC=C1`) count as two molecules (RDKit perceives
/// aromaticity first). Checked against RDKit's canonical SMILES on random re-spellings of QM9
/// molecules (`tools/make_smiles_fixture.py`).
///
/// ```
/// use recon_chem::smiles::molecule_key;
/// assert_eq!(molecule_key("OCC(=O)N").unwrap(), molecule_key("NC(=O)CO").unwrap());
/// assert_eq!(molecule_key("c1ccncc1C").unwrap(), molecule_key("Cc1cccnc1").unwrap());
/// assert_ne!(molecule_key("CCO").unwrap(), molecule_key("COC").unwrap());
/// assert_ne!(molecule_key("C1CCCCC1").unwrap(), molecule_key("C1CC1.C1CC1").unwrap());
/// assert!(molecule_key("C1CC").is_err());
/// ```
pub fn molecule_key(s: &str) -> Result<u64, String> {
    let m = analyse(&tokenize(s)?)?;
    let n = m.atoms.len();
    // Components: size and cyclomatic number (bonds − atoms + 1).
    let mut comp = vec![usize::MAX; n];
    let mut comps: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if comp[root] != usize::MAX {
            continue;
        }
        let c = comps.len();
        let (mut atoms, mut degree_sum) = (0, 0);
        let mut stack = vec![root];
        comp[root] = c;
        while let Some(u) = stack.pop() {
            atoms += 1;
            degree_sum += m.adj[u].len();
            for &(v, _) in &m.adj[u] {
                if comp[v] == usize::MAX {
                    comp[v] = c;
                    stack.push(v);
                }
            }
        }
        comps.push((atoms, degree_sum / 2 + 1 - atoms));
    }
    let mut label: Vec<u64> = (0..n)
        .map(|i| {
            let a = &m.atoms[i];
            let (size, rings) = comps[comp[i]];
            let charge = a.bracket.map_or(0, |b| b.1);
            fnv(&[
                a.z as u64,
                u64::from(a.aromatic),
                charge as u64,
                u64::from(m.hydrogens[i]),
                m.adj[i].len() as u64,
                size as u64,
                rings as u64,
            ])
        })
        .collect();
    for _ in 0..n {
        let next: Vec<u64> = (0..n)
            .map(|i| {
                let mut around: Vec<u64> =
                    m.adj[i].iter().map(|&(j, k)| fnv(&[m.bonds[k].2 as u64, label[j]])).collect();
                around.sort_unstable();
                around.insert(0, label[i]);
                fnv(&around)
            })
            .collect();
        label = next;
    }
    label.sort_unstable();
    Ok(fnv(&label))
}

/// FNV-1a over the bytes of `words` (stable across builds and platforms).
fn fnv(words: &[u64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A parsed molecule that passed the checks.
struct Analysed {
    atoms: Vec<Atom>,
    bonds: Vec<(usize, usize, Bond, bool)>,
    adj: Vec<Vec<(usize, usize)>>,
    /// Hydrogens on each atom: bracketed, or implied by the smallest allowed valence.
    hydrogens: Vec<u32>,
}

fn analyse(tokens: &[String]) -> Result<Analysed, String> {
    let mut atoms: Vec<Atom> = Vec::new();
    let mut bonds: Vec<(usize, usize, Bond, bool)> = Vec::new(); // (a, b, bond, explicit symbol)
    let mut stack: Vec<Option<usize>> = Vec::new();
    let mut prev: Option<usize> = None;
    let mut pending: Option<Bond> = None;
    let mut rings: std::collections::HashMap<u32, (usize, Option<Bond>)> = Default::default();
    let mut branch_empty = false;
    let add_bond =
        |bonds: &mut Vec<(usize, usize, Bond, bool)>, atoms: &[Atom], a: usize, b: usize, bond: Option<Bond>| {
            if a == b || bonds.iter().any(|&(x, y, _, _)| (x == a && y == b) || (x == b && y == a)) {
                return Err(format!("a second bond between atoms {} and {}", a + 1, b + 1));
            }
            let explicit = bond.is_some();
            let bond =
                bond.unwrap_or(if atoms[a].aromatic && atoms[b].aromatic { Bond::Aromatic } else { Bond::Single });
            bonds.push((a, b, bond, explicit));
            Ok(())
        };
    for t in tokens {
        let first = t.as_bytes()[0];
        match t.as_str() {
            "(" => {
                if prev.is_none() || pending.is_some() {
                    return Err("a branch must follow an atom".into());
                }
                stack.push(prev);
                branch_empty = true;
            }
            ")" => {
                if pending.is_some() {
                    return Err("a bond with no atom after it".into());
                }
                if branch_empty {
                    return Err("an empty branch '()'".into());
                }
                prev = stack.pop().ok_or("a ')' without its '('")?;
            }
            "." => {
                if pending.is_some() || prev.is_none() {
                    return Err("a '.' must come between atoms".into());
                }
                prev = None;
            }
            "-" | "=" | "#" | "$" | ":" | "/" | "\\" => {
                if pending.is_some() || prev.is_none() {
                    return Err(format!("bond '{t}' does not follow an atom"));
                }
                pending = Some(match t.as_str() {
                    "=" => Bond::Double,
                    "#" => Bond::Triple,
                    "$" => Bond::Quadruple,
                    ":" => Bond::Aromatic,
                    _ => Bond::Single,
                });
            }
            _ if first.is_ascii_digit() || first == b'%' => {
                let n: u32 = t.trim_start_matches('%').parse().map_err(|_| format!("bad ring number {t}"))?;
                let here = prev.ok_or(format!("ring closure {n} does not follow an atom"))?;
                match rings.remove(&n) {
                    None => {
                        rings.insert(n, (here, pending.take()));
                    }
                    Some((other, b0)) => {
                        let b1 = pending.take();
                        let bond = match (b0, b1) {
                            (Some(x), Some(y)) if x != y => {
                                return Err(format!("ring {n} is opened and closed with different bonds"))
                            }
                            (x, y) => x.or(y),
                        };
                        add_bond(&mut bonds, &atoms, other, here, bond)?;
                    }
                }
            }
            _ => {
                let atom = if first == b'[' {
                    bracket_atom(t)?
                } else {
                    let aromatic = first.is_ascii_lowercase();
                    let mut sym = t.clone();
                    sym[..1].make_ascii_uppercase();
                    Atom {
                        z: ELEMENTS.iter().position(|e| e.symbol == sym).ok_or("unknown atom")?,
                        aromatic,
                        bracket: None,
                    }
                };
                atoms.push(atom);
                let i = atoms.len() - 1;
                if let Some(p) = prev {
                    add_bond(&mut bonds, &atoms, p, i, pending.take())?;
                } else if pending.is_some() {
                    return Err("a bond with no atom before it".into());
                }
                prev = Some(i);
                branch_empty = false;
            }
        }
    }
    if pending.is_some() {
        return Err("the string ends with a bond".into());
    }
    if !stack.is_empty() {
        return Err("a '(' is never closed".into());
    }
    if let Some(n) = rings.keys().min() {
        return Err(format!("ring {n} is never closed"));
    }
    if atoms.is_empty() {
        return Err("no atoms".into());
    }
    let n = atoms.len();
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n]; // (neighbour, bond index)
    for (k, &(a, b, _, _)) in bonds.iter().enumerate() {
        adj[a].push((b, k));
        adj[b].push((a, k));
    }
    let in_ring = ring_bonds(n, &adj);
    for (i, a) in atoms.iter().enumerate() {
        if a.aromatic && !adj[i].iter().any(|&(_, k)| in_ring[k]) {
            return Err(format!("atom {} is aromatic but not on a ring", i + 1));
        }
    }
    // Aromatic bonds off rings are single; between aromatic atoms on a ring they may take a double.
    let aromatic_bond = |k: usize| bonds[k].2 == Bond::Aromatic && in_ring[k];
    let sigma: Vec<u32> = (0..n)
        .map(|i| adj[i].iter().map(|&(_, k)| bonds[k].2.order()).sum::<u32>() + atoms[i].bracket.map_or(0, |b| b.0))
        .collect();
    // Aromatic atoms that must take a double bond.
    let needs: Vec<bool> = (0..n)
        .map(|i| {
            let a = &atoms[i];
            if !a.aromatic || !adj[i].iter().any(|&(_, k)| aromatic_bond(k)) {
                return false;
            }
            match atom_valences(a) {
                Some(v) => v[0] > sigma[i],
                None => false,
            }
        })
        .collect();
    let mut mate: Vec<Option<usize>> = vec![None; n];
    if !perfect_matching(&needs, &adj, &aromatic_bond, &mut mate) {
        return Err("the aromatic atoms have no Kekulé structure".into());
    }
    // RDKit's clean-up writes a nitro group N(=O)=O as [N+](=O)[O-] before checking valences.
    let nitro = |i: usize| {
        atoms[i].z == 6
            && atoms[i].bracket.is_none_or(|b| b.1 == 0)
            && adj[i]
                .iter()
                .filter(|&&(j, k)| {
                    bonds[k].2 == Bond::Double
                        && atoms[j].z == 7
                        && adj[j].len() == 1
                        && atoms[j].bracket.is_none_or(|b| b.1 == 0)
                })
                .count()
                >= 2
    };
    for (i, a) in atoms.iter().enumerate() {
        let Some(allowed) = atom_valences(a) else { continue };
        let v = sigma[i] + u32::from(mate[i].is_some());
        let max = if nitro(i) { 5 } else { *allowed.iter().max().unwrap_or(&0) };
        if v > max {
            return Err(format!("atom {} ({}) has valence {v}, more than {max}", i + 1, ELEMENTS[a.z].symbol));
        }
    }
    let hydrogens = (0..n)
        .map(|i| {
            let a = &atoms[i];
            match a.bracket {
                Some((h, _)) => h,
                None => {
                    let v = sigma[i] + u32::from(mate[i].is_some());
                    let allowed = atom_valences(a).unwrap_or(&[]);
                    allowed.iter().find(|&&x| x >= v).map_or(0, |&x| x - v)
                }
            }
        })
        .collect();
    Ok(Analysed { atoms, bonds, adj, hydrogens })
}

/// Which bonds lie on a ring (are not bridges), by one depth-first search.
fn ring_bonds(n: usize, adj: &[Vec<(usize, usize)>]) -> Vec<bool> {
    let m = adj.iter().map(Vec::len).sum::<usize>() / 2;
    let mut on_ring = vec![true; m];
    let (mut disc, mut low) = (vec![usize::MAX; n], vec![0; n]);
    let mut time = 0;
    for root in 0..n {
        if disc[root] != usize::MAX {
            continue;
        }
        // Iterative DFS: (node, parent edge, next neighbour index).
        let mut st = vec![(root, usize::MAX, 0usize)];
        disc[root] = time;
        low[root] = time;
        time += 1;
        while let Some(&mut (u, pe, ref mut idx)) = st.last_mut() {
            if *idx < adj[u].len() {
                let (v, k) = adj[u][*idx];
                *idx += 1;
                if k == pe {
                    continue;
                }
                if disc[v] == usize::MAX {
                    disc[v] = time;
                    low[v] = time;
                    time += 1;
                    st.push((v, k, 0));
                } else {
                    low[u] = low[u].min(disc[v]);
                }
            } else {
                st.pop();
                if let Some(&(p, _, _)) = st.last() {
                    low[p] = low[p].min(low[u]);
                    if low[u] > disc[p] {
                        on_ring[pe] = false;
                    }
                }
            }
        }
    }
    on_ring
}

/// Pairs every atom with `needs` set with a neighbour that needs one too, over aromatic bonds
/// (backtracking from the first unpaired atom; aromatic systems are small).
fn perfect_matching(
    needs: &[bool],
    adj: &[Vec<(usize, usize)>],
    aromatic_bond: &dyn Fn(usize) -> bool,
    mate: &mut [Option<usize>],
) -> bool {
    let Some(i) = (0..needs.len()).find(|&i| needs[i] && mate[i].is_none()) else {
        return true;
    };
    for &(j, k) in &adj[i] {
        if needs[j] && mate[j].is_none() && aromatic_bond(k) {
            mate[i] = Some(j);
            mate[j] = Some(i);
            if perfect_matching(needs, adj, aromatic_bond, mate) {
                return true;
            }
            mate[i] = None;
            mate[j] = None;
        }
    }
    false
}
