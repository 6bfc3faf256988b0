<?php
/**
 * check-engine-deps.php OBJDIR - checks the engine's structure from its built objects:
 *
 * 1. no cycle between files: file A depends on file B when A's object uses a symbol B's
 *    object defines (nm); any cycle of two or more files fails;
 * 2. the layers: a file in engine/<folder>/ may use only its own folder and the folders to
 *    its left in util <- core <- import <- jobtypes (files at the engine's top level, the
 *    public headers' home, count as util);
 * 3. no PHP header is included by any engine source or header.
 *
 * Prints what it found and exits 1 on any violation. Run by `make test` (tools/test.sh).
 */

const LAYERS = array( 'util' => 0, 'core' => 1, 'import' => 2, 'jobtypes' => 3 );

$root   = dirname( __DIR__ );
$objdir = $argv[1] ?? $root . '/build/engine/obj';
$errors = array();

// Source files by object name (obj/<folder>/<name>.o or obj/<name>.o).
$defs = array();
$uses = array();
$objs = array();
$it   = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $objdir, FilesystemIterator::SKIP_DOTS ) );
foreach ( $it as $file ) {
	if ( '.o' !== substr( $file->getFilename(), -2 ) ) {
		continue;
	}
	$rel          = substr( $file->getPathname(), strlen( rtrim( $objdir, '/' ) ) + 1, -2 );
	$objs[ $rel ] = $file->getPathname();
}
if ( ! $objs ) {
	fwrite( STDERR, "no engine objects under $objdir (build them first: make engine-tests)\n" );
	exit( 1 );
}
ksort( $objs );
foreach ( $objs as $rel => $path ) {
	$out = array();
	exec( 'nm ' . escapeshellarg( $path ), $out, $rc );
	if ( 0 !== $rc ) {
		fwrite( STDERR, "nm failed on $path\n" );
		exit( 1 );
	}
	$uses[ $rel ] = array();
	foreach ( $out as $line ) {
		if ( ! preg_match( '/^(?:[0-9a-f]+)?\s+([A-Za-z])\s+(\S+)$/', $line, $m ) ) {
			continue;
		}
		if ( 'U' === $m[1] ) {
			$uses[ $rel ][] = $m[2];
		} elseif ( ctype_upper( $m[1] ) ) {
			$defs[ $m[2] ] = $rel;
		}
	}
}

// File -> files it uses.
$edges = array();
foreach ( $uses as $rel => $symbols ) {
	$edges[ $rel ] = array();
	foreach ( $symbols as $sym ) {
		if ( isset( $defs[ $sym ] ) && $defs[ $sym ] !== $rel ) {
			$edges[ $rel ][ $defs[ $sym ] ][] = $sym;
		}
	}
}

// 1. Cycles: strongly connected components (Tarjan) of two or more files.
$index   = 0;
$stack   = array();
$on      = array();
$idx     = array();
$low     = array();
$sccs    = array();
$connect = function ( $v ) use ( &$connect, &$index, &$stack, &$on, &$idx, &$low, &$sccs, $edges ) {
	$idx[ $v ] = $low[ $v ] = $index++;
	$stack[]   = $v;
	$on[ $v ]  = true;
	foreach ( array_keys( $edges[ $v ] ) as $w ) {
		if ( ! isset( $idx[ $w ] ) ) {
			$connect( $w );
			$low[ $v ] = min( $low[ $v ], $low[ $w ] );
		} elseif ( ! empty( $on[ $w ] ) ) {
			$low[ $v ] = min( $low[ $v ], $idx[ $w ] );
		}
	}
	if ( $low[ $v ] === $idx[ $v ] ) {
		$scc = array();
		do {
			$w          = array_pop( $stack );
			$on[ $w ]   = false;
			$scc[]      = $w;
		} while ( $w !== $v );
		if ( count( $scc ) > 1 ) {
			sort( $scc );
			$sccs[] = $scc;
		}
	}
};
foreach ( array_keys( $edges ) as $v ) {
	if ( ! isset( $idx[ $v ] ) ) {
		$connect( $v );
	}
}
foreach ( $sccs as $scc ) {
	$lines = array();
	foreach ( $scc as $a ) {
		foreach ( $edges[ $a ] as $b => $syms ) {
			if ( in_array( $b, $scc, true ) ) {
				$lines[] = sprintf( '    %s -> %s (%s)', $a, $b, implode( ', ', array_slice( array_unique( $syms ), 0, 3 ) ) );
			}
		}
	}
	$errors[] = sprintf( "a cycle of %d files: %s\n%s", count( $scc ), implode( ' ', $scc ), implode( "\n", $lines ) );
}

// 2. Layers.
$layer = static function ( string $rel ): int {
	$folder = strpos( $rel, '/' ) ? strstr( $rel, '/', true ) : 'util';
	return LAYERS[ $folder ] ?? -1;
};
foreach ( $edges as $a => $targets ) {
	if ( $layer( $a ) < 0 ) {
		$errors[] = "$a: not in a known folder (" . implode( ', ', array_keys( LAYERS ) ) . ')';
		continue;
	}
	foreach ( $targets as $b => $syms ) {
		if ( $layer( $b ) > $layer( $a ) ) {
			$errors[] = sprintf( '%s uses %s, a layer to its right (%s)', $a, $b, implode( ', ', array_slice( array_unique( $syms ), 0, 3 ) ) );
		}
	}
}

// 3. No PHP headers, and no header from a layer to the right (the includes say the
// same as the symbols).
$headers = array();
foreach ( glob( $root . '/engine/*/*.h' ) as $h ) {
	$headers[ basename( $h ) ] = basename( dirname( $h ) ) . '/' . basename( $h, '.h' );
}
$src = new RecursiveIteratorIterator( new RecursiveDirectoryIterator( $root . '/engine', FilesystemIterator::SKIP_DOTS ) );
foreach ( $src as $file ) {
	if ( ! preg_match( '/\.[ch]$/', $file->getFilename() ) ) {
		continue;
	}
	$here = substr( $file->getPathname(), strlen( $root ) + strlen( '/engine/' ) );
	foreach ( file( $file->getPathname() ) as $n => $line ) {
		if ( preg_match( '/^\s*#\s*include\s*"([^"]+)"/', $line, $m ) && isset( $headers[ $m[1] ] )
			&& $layer( $headers[ $m[1] ] ) > $layer( $here ) ) {
			$errors[] = sprintf( 'engine/%s:%d includes %s, from a layer to its right', $here, $n + 1, $headers[ $m[1] ] . '.h' );
		}
		// php.h, php_*.h, zend*.h, and anything under Zend/, main/, ext/ or TSRM/
		if ( preg_match( '/^\s*#\s*include\s*[<"]((?:php[_.]|zend|Zend\/|main\/|ext\/|TSRM)[^>"]*)[>"]/', $line, $m ) ) {
			$errors[] = sprintf( '%s:%d includes a PHP header: %s', substr( $file->getPathname(), strlen( $root ) + 1 ), $n + 1, $m[1] );
		}
	}
}

if ( $errors ) {
	echo "engine structure: ", count( $errors ), " problem(s)\n", implode( "\n", $errors ), "\n";
	exit( 1 );
}
printf( "engine structure: %d files, no cycles, layers util <- core <- import <- jobtypes respected, no PHP headers\n", count( $objs ) );
