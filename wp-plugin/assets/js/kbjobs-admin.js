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

	window.kbjobs = { poll: poll, applyTexts: applyTexts };
}() );
