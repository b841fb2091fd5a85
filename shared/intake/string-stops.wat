(module
  (memory (export "memory") 1)
  ;; For the bytes [src, src + len), len a multiple of 32: one bit per byte at dst, set for a byte that
  ;; ends plain string content in JSON: '"', '\' or a control character (below 0x20).
  (func (export "classify") (param $src i32) (param $len i32) (param $dst i32)
    (local $end i32)
    (local $v v128)
    (local $low i32)
    (local.set $end (i32.add (local.get $src) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load (local.get $src)))
        (local.set $low
          (i8x16.bitmask
            (v128.or
              (v128.or
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22)))
                (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))
              (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20))))))
        (local.set $v (v128.load offset=16 (local.get $src)))
        (i32.store (local.get $dst)
          (i32.or (local.get $low)
            (i32.shl
              (i8x16.bitmask
                (v128.or
                  (v128.or
                    (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22)))
                    (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))
                  (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20)))))
              (i32.const 16))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $next)))))
