/**
 * The KB Jobs dashboard's script: live parts kept current through the REST API
 * (wp.apiFetch, whose nonce middleware renews an expired nonce, so a tab left open for
 * days keeps working), polling paused while the tab is hidden, and confirmations on the
 * forms that ask for one. Text is set with textContent, never as HTML.
 */
( function () {
	'use strict';

	var apiFetch = window.wp && window.wp.apiFetch;

	/**
	 * Calls fn( data ) with GET path every ms milliseconds while the tab is visible;
	 * stops while it is hidden and starts again, at once, when it is shown. path may be
	 * a function returning the path (asked before each request); when fn returns false,
	 * polling stops for good.
	 */
	function poll( path, ms, fn ) {
		var timer = null;
		var busy = false;
		var stopped = false;
		function tick() {
			timer = null;
			if ( document.hidden || busy || stopped ) {
				return;
			}
			busy = true;
			apiFetch( { path: 'function' === typeof path ? path() : path } ).then( function ( data ) {
				if ( false === fn( data ) ) {
					stopped = true;
				}
				setStale( false );
			} ).catch( function () {
				setStale( true );
			} ).then( function () {
				busy = false;
				if ( ! document.hidden && ! stopped ) {
					timer = window.setTimeout( tick, ms );
				}
			} );
		}
		document.addEventListener( 'visibilitychange', function () {
			if ( ! document.hidden && ! timer && ! busy && ! stopped ) {
				tick();
			}
		} );
		timer = window.setTimeout( tick, ms );
	}

	/** Marks the live parts as not current (the last request failed). */
	function setStale( stale ) {
		document.querySelectorAll( '.kbjobs-live' ).forEach( function ( el ) {
			el.classList.toggle( 'kbjobs-stale', stale );
		} );
	}

	/** Sets each [data-kbjobs-key] element inside root from texts. */
	function applyTexts( root, texts ) {
		root.querySelectorAll( '[data-kbjobs-key]' ).forEach( function ( el ) {
			var key = el.getAttribute( 'data-kbjobs-key' );
			if ( ! Object.prototype.hasOwnProperty.call( texts, key ) ) {
				return;
			}
			var value = texts[ key ];
			if ( 'attention' === key ) {
				el.replaceChildren.apply( el, value.map( function ( line ) {
					var div = document.createElement( 'div' );
					var p = document.createElement( 'p' );
					div.className = 'notice notice-warning inline';
					p.textContent = line;
					div.appendChild( p );
					return div;
				} ) );
			} else if ( Array.isArray( value ) ) {
				var rows = value.map( function ( cells ) {
					var tr = document.createElement( 'tr' );
					cells.forEach( function ( cell ) {
						var td = document.createElement( 'td' );
						td.textContent = cell;
						tr.appendChild( td );
					} );
					return tr;
				} );
				if ( ! rows.length ) {
					var tr = document.createElement( 'tr' );
					var td = document.createElement( 'td' );
					td.colSpan = 6;
					td.textContent = el.getAttribute( 'data-kbjobs-empty' ) || '';
					tr.appendChild( td );
					rows.push( tr );
				}
				el.replaceChildren.apply( el, rows );
			} else if ( el.textContent !== String( value ) ) {
				el.textContent = String( value );
			}
		} );
	}

	// The attributes applyRows() may set (never an href, a src or a handler).
	var ROW_ATTRS = [ 'class', 'title', 'datetime', 'value', 'aria-label' ];

	function has( object, key ) {
		return Object.prototype.hasOwnProperty.call( object, key );
	}

	/** Whether a row's flag is set: not '', '0', false, null or missing. */
	function isSet( value ) {
		return value !== undefined && value !== null && value !== false && value !== '' && value !== '0' && value !== 0;
	}

	/**
	 * Sets a row's elements from its texts: [data-kbjobs-cell] the text, [data-kbjobs-attr]
	 * ("attr:key attr:key") the attributes of ROW_ATTRS, [data-kbjobs-show] visibility;
	 * in a new row also [data-kbjobs-init] form fields and each form's hidden target
	 * field (id, name, ids[]), which takes the row's id.
	 */
	function fillRow( tr, row, created ) {
		var els = [ tr ].concat( Array.prototype.slice.call( tr.querySelectorAll( '[data-kbjobs-cell], [data-kbjobs-attr], [data-kbjobs-show], [data-kbjobs-init]' ) ) );
		els.forEach( function ( el ) {
			var cell = el.getAttribute( 'data-kbjobs-cell' );
			if ( cell && has( row, cell ) && el.textContent !== String( row[ cell ] ) ) {
				el.textContent = String( row[ cell ] );
			}
			( el.getAttribute( 'data-kbjobs-attr' ) || '' ).split( ' ' ).forEach( function ( pair ) {
				var parts = pair.split( ':' );
				if ( 2 === parts.length && -1 !== ROW_ATTRS.indexOf( parts[ 0 ] ) && has( row, parts[ 1 ] ) ) {
					var value = String( row[ parts[ 1 ] ] );
					if ( 'class' === parts[ 0 ] ) {
						value = ( 'kbjobs-row ' + value ).trim();
					}
					if ( el.getAttribute( parts[ 0 ] ) !== value ) {
						el.setAttribute( parts[ 0 ], value );
					}
				}
			} );
			var show = el.getAttribute( 'data-kbjobs-show' );
			if ( show && has( row, show ) ) {
				el.hidden = ! isSet( row[ show ] );
			}
			var init = created && el.getAttribute( 'data-kbjobs-init' );
			if ( init && has( row, init ) ) {
				el.value = String( row[ init ] );
			}
		} );
		if ( created ) {
			tr.querySelectorAll( 'form input[type="hidden"][name="id"], form input[type="hidden"][name="name"], form input[type="hidden"][name="ids[]"]' ).forEach( function ( input ) {
				input.value = String( row.id );
			} );
		}
	}

	/**
	 * Keeps each [data-kbjobs-rows] table body inside root in step with texts[key], a list
	 * of rows (objects of texts, each with an id): a row is updated in place, a new one
	 * is a copy of the body's <template>, a gone one is removed, and the order follows the
	 * list. The body's .kbjobs-empty-row shows when the list is empty.
	 */
	function applyRows( root, texts ) {
		root.querySelectorAll( '[data-kbjobs-rows]' ).forEach( function ( tbody ) {
			var list = texts[ tbody.getAttribute( 'data-kbjobs-rows' ) ];
			var template = tbody.querySelector( 'template' );
			if ( ! Array.isArray( list ) || ! template ) {
				return;
			}
			var existing = {};
			var current = Array.prototype.filter.call( tbody.children, function ( el ) {
				return el.hasAttribute( 'data-kbjobs-row' );
			} );
			current.forEach( function ( tr ) {
				existing[ tr.getAttribute( 'data-kbjobs-row' ) ] = tr;
			} );
			var wanted = list.map( function ( row ) {
				var id = String( row.id );
				var tr = has( existing, id ) ? existing[ id ] : null;
				var created = ! tr;
				if ( created ) {
					tr = template.content.firstElementChild.cloneNode( true );
					tr.setAttribute( 'data-kbjobs-row', id );
				}
				delete existing[ id ];
				fillRow( tr, row, created );
				return tr;
			} );
			Object.keys( existing ).forEach( function ( id ) {
				existing[ id ].remove();
			} );
			var kept = Array.prototype.filter.call( tbody.children, function ( el ) {
				return el.hasAttribute( 'data-kbjobs-row' );
			} );
			var inOrder = kept.length === wanted.length && wanted.every( function ( tr, i ) {
				return kept[ i ] === tr;
			} );
			if ( ! inOrder ) {
				wanted.forEach( function ( tr ) {
					tbody.appendChild( tr );
				} );
			}
			var empty = tbody.querySelector( ':scope > tr.kbjobs-empty-row' );
			if ( empty ) {
				empty.hidden = wanted.length > 0;
			}
		} );
	}

	// Forms that ask first (data-kbjobs-confirm).
	document.addEventListener( 'submit', function ( event ) {
		var question = event.target.getAttribute && event.target.getAttribute( 'data-kbjobs-confirm' );
		if ( question && ! window.confirm( question ) ) {
			event.preventDefault();
		}
	} );

	// The Overview: the shared snapshot with its texts, every two seconds.
	var overview = document.querySelector( '[data-kbjobs-live="overview"]' );
	if ( overview && apiFetch ) {
		poll( '/kbjobs/v1/snapshot?view=overview', 2000, function ( data ) {
			applyTexts( overview, data.texts || {} );
		} );
	}

	// The other live screens: what [data-kbjobs-poll] names (a kbjobs/v1 path with its
	// view), every data-kbjobs-poll-ms (two seconds at least) while the tab is visible.
	if ( apiFetch ) {
		document.querySelectorAll( '[data-kbjobs-poll]' ).forEach( function ( root ) {
			var ms = Math.max( 2000, parseInt( root.getAttribute( 'data-kbjobs-poll-ms' ), 10 ) || 2000 );
			poll( root.getAttribute( 'data-kbjobs-poll' ), ms, function ( data ) {
				applyTexts( root, data.texts || {} );
				applyRows( root, data.texts || {} );
			} );
		} );
	}

	window.kbjobs = { poll: poll, applyTexts: applyTexts, applyRows: applyRows };
}() );
