;; The hot loops of a boosted-trees fit in WebAssembly: gradient histograms and a
;; partition's moves.
;;
;; WebAssembly because the same loop in JavaScript costs about 2.2 ns an update (two
;; bounds-checked read-add-writes of a double) and here about 1 ns: the (g, h) pair of a
;; row is one 128-bit value added to a bin in one instruction, and memory accesses carry
;; no bounds checks (the engine guards the memory with unmapped pages).
;;
;; Source of histogram-wasm.ts, which holds the compiled bytes: after an edit, run
;; `npm run build:wasm` (test/ml/histogram-wasm.test.ts fails while the two differ).
;;
;; Memory layout (all addresses in bytes, set up by tree-grower.ts; raw scores, labels and
;; the partition's position lists live there too): packed bin codes, four
;; features to a 32-bit word, group-major (group q of position k at codes + 4 (q n + k));
;; the gradients g and hessians h (plus the count unit) of the positions as doubles; a
;; histogram is (g, h) pairs of doubles, a feature's bins in a row, so bin b of a feature
;; whose pairs start at byte offset base is at hist + base + 16 b. `bases` holds four i32
;; byte offsets per group; a group's unused slots (p not a multiple of 4) point at a spare
;; area after the histogram, where their code 0 adds harmlessly.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Adds the (g, h) of positions [start, end) to their bins, for the groups [from, to).
  (func (export "accumulate")
    (param $hist i32) (param $codes i32) (param $n i32) (param $bases i32)
    (param $from i32) (param $to i32) (param $start i32) (param $end i32)
    (param $g i32) (param $h i32)
    (local $q i32) (local $k i32) (local $c0 i32) (local $c1 i32) (local $w i32) (local $v i32)
    (local $gh v128) (local $a i32)
    (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $b4 i32) (local $b5 i32) (local $b6 i32) (local $b7 i32)
    (local.set $q (local.get $from))
    ;; Two groups (eight features) a pass while two are left: g and h are read once for eight bins.
    (block $pairs_done
      (loop $pairs
        (br_if $pairs_done (i32.gt_u (i32.add (local.get $q) (i32.const 2)) (local.get $to)))
        (local.set $a (i32.add (local.get $bases) (i32.shl (local.get $q) (i32.const 4))))
        (local.set $b0 (i32.add (local.get $hist) (i32.load offset=0 (local.get $a))))
        (local.set $b1 (i32.add (local.get $hist) (i32.load offset=4 (local.get $a))))
        (local.set $b2 (i32.add (local.get $hist) (i32.load offset=8 (local.get $a))))
        (local.set $b3 (i32.add (local.get $hist) (i32.load offset=12 (local.get $a))))
        (local.set $b4 (i32.add (local.get $hist) (i32.load offset=16 (local.get $a))))
        (local.set $b5 (i32.add (local.get $hist) (i32.load offset=20 (local.get $a))))
        (local.set $b6 (i32.add (local.get $hist) (i32.load offset=24 (local.get $a))))
        (local.set $b7 (i32.add (local.get $hist) (i32.load offset=28 (local.get $a))))
        (local.set $c0 (i32.add (local.get $codes) (i32.shl (i32.mul (local.get $q) (local.get $n)) (i32.const 2))))
        (local.set $c1 (i32.add (local.get $c0) (i32.shl (local.get $n) (i32.const 2))))
        (local.set $k (local.get $start))
        (block $rows_done
          (loop $rows
            (br_if $rows_done (i32.ge_u (local.get $k) (local.get $end)))
            (local.set $w (i32.load (i32.add (local.get $c0) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $v (i32.load (i32.add (local.get $c1) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $gh
              (f64x2.replace_lane 1
                (f64x2.splat (f64.load (i32.add (local.get $g) (i32.shl (local.get $k) (i32.const 3)))))
                (f64.load (i32.add (local.get $h) (i32.shl (local.get $k) (i32.const 3))))))
            (local.set $a (i32.add (local.get $b0) (i32.shl (i32.and (local.get $w) (i32.const 255)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $a (i32.add (local.get $b1) (i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const 8)) (i32.const 255)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $a (i32.add (local.get $b2) (i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const 16)) (i32.const 255)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $a (i32.add (local.get $b3) (i32.shl (i32.shr_u (local.get $w) (i32.const 24)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $a (i32.add (local.get $b4) (i32.shl (i32.and (local.get $v) (i32.const 255)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $a (i32.add (local.get $b5) (i32.shl (i32.and (i32.shr_u (local.get $v) (i32.const 8)) (i32.const 255)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $a (i32.add (local.get $b6) (i32.shl (i32.and (i32.shr_u (local.get $v) (i32.const 16)) (i32.const 255)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $a (i32.add (local.get $b7) (i32.shl (i32.shr_u (local.get $v) (i32.const 24)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $rows)))
        (local.set $q (i32.add (local.get $q) (i32.const 2)))
        (br $pairs)))
    ;; A last single group (four features).
    (if (i32.lt_u (local.get $q) (local.get $to))
      (then
        (local.set $a (i32.add (local.get $bases) (i32.shl (local.get $q) (i32.const 4))))
        (local.set $b0 (i32.add (local.get $hist) (i32.load offset=0 (local.get $a))))
        (local.set $b1 (i32.add (local.get $hist) (i32.load offset=4 (local.get $a))))
        (local.set $b2 (i32.add (local.get $hist) (i32.load offset=8 (local.get $a))))
        (local.set $b3 (i32.add (local.get $hist) (i32.load offset=12 (local.get $a))))
        (local.set $c0 (i32.add (local.get $codes) (i32.shl (i32.mul (local.get $q) (local.get $n)) (i32.const 2))))
        (local.set $k (local.get $start))
        (block $rows_done
          (loop $rows
            (br_if $rows_done (i32.ge_u (local.get $k) (local.get $end)))
            (local.set $w (i32.load (i32.add (local.get $c0) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $gh
              (f64x2.replace_lane 1
                (f64x2.splat (f64.load (i32.add (local.get $g) (i32.shl (local.get $k) (i32.const 3)))))
                (f64.load (i32.add (local.get $h) (i32.shl (local.get $k) (i32.const 3))))))
            (local.set $a (i32.add (local.get $b0) (i32.shl (i32.and (local.get $w) (i32.const 255)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $a (i32.add (local.get $b1) (i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const 8)) (i32.const 255)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $a (i32.add (local.get $b2) (i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const 16)) (i32.const 255)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $a (i32.add (local.get $b3) (i32.shl (i32.shr_u (local.get $w) (i32.const 24)) (i32.const 4))))
            (v128.store (local.get $a) (f64x2.add (v128.load (local.get $a)) (local.get $gh)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $rows)))))
  )

  ;; A partition's moves: swaps the 32-bit words at values + 4 a[t] and values + 4 b[t] for
  ;; t < count (a and b: u32 positions), as bounds-checked JavaScript does at half the speed.
  (func (export "swap32") (param $values i32) (param $a i32) (param $b i32) (param $count i32)
    (local $t i32) (local $i i32) (local $j i32) (local $v i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $t) (local.get $count)))
        (local.set $i (i32.add (local.get $values) (i32.shl (i32.load (i32.add (local.get $a) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 2))))
        (local.set $j (i32.add (local.get $values) (i32.shl (i32.load (i32.add (local.get $b) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 2))))
        (local.set $v (i32.load (local.get $i)))
        (i32.store (local.get $i) (i32.load (local.get $j)))
        (i32.store (local.get $j) (local.get $v))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $next))))

  ;; The same for doubles at values + 8 a[t] and values + 8 b[t].
  (func (export "swap64") (param $values i32) (param $a i32) (param $b i32) (param $count i32)
    (local $t i32) (local $i i32) (local $j i32) (local $v f64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $t) (local.get $count)))
        (local.set $i (i32.add (local.get $values) (i32.shl (i32.load (i32.add (local.get $a) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 3))))
        (local.set $j (i32.add (local.get $values) (i32.shl (i32.load (i32.add (local.get $b) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 3))))
        (local.set $v (f64.load (local.get $i)))
        (f64.store (local.get $i) (f64.load (local.get $j)))
        (f64.store (local.get $j) (local.get $v))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $next))))
)
