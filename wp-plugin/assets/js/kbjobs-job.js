/**
 * The job page's live parts (KBJobs_Admin_Job renders the page whole; this keeps it
 * current while the tab is visible):
 *
 * - the status, progress, rate, time left and why it waits, from GET
 *   /kbjobs/v1/jobs/{id} every 5 s until the job is finished;
 * - the log, from GET /kbjobs/v1/jobs/{id}/logs?cursor= every 2 s: new lines are
 *   appended; the cursor moves only when a read succeeded, so a failed request is
 *   simply asked again from the same place (no line lost, none twice); the reader's
 *   scroll position is kept unless they were at the bottom, where it follows;
 * - Copy (the clipboard) and Download (a file) of the lines shown.
 *
 * Every value is set as text (textContent), never as HTML.
 */
( function () {
	'use strict';

	var root = document.querySelector( '[data-kbjobs-job]' );
	var kb = window.kbjobs;
	var config = window.kbjobsJob || {};
	var i18n = window.wp && window.wp.i18n;
	if ( ! root || ! kb ) {
		return;
	}
	var __ = i18n ? i18n.__ : function ( s ) { return s; };
	var sprintf = i18n ? i18n.sprintf : function ( s ) { return s; };
	var id = root.getAttribute( 'data-kbjobs-job' );
	var status = root.getAttribute( 'data-kbjobs-status' );
	var FINISHED = [ 'completed', 'failed', 'cancelled', 'interrupted' ];
	var finished = -1 !== FINISHED.indexOf( status );
	var MAX_LINES = 5000;

	/** The element showing field name. */
	function field( name ) {
		return document.querySelector( '[data-kbjobs-field="' + name + '"]' );
	}

	function setText( el, text ) {
		if ( el && el.textContent !== text ) {
			el.textContent = text;
		}
	}

	function number( n, digits ) {
		return Number( n ).toLocaleString( document.documentElement.lang || undefined, {
			minimumFractionDigits: digits || 0,
			maximumFractionDigits: digits || 0,
		} );
	}

	/** As KBJobs_Admin_Job::duration_text(). */
	function duration( seconds ) {
		seconds = Math.max( 0, Math.round( seconds ) );
		if ( seconds < 60 ) {
			/* translators: %d: seconds */
			return sprintf( __( '%d s', 'kb-jobs' ), seconds );
		}
		if ( seconds < 3600 ) {
			/* translators: 1: minutes, 2: seconds */
			return sprintf( __( '%1$d min %2$d s', 'kb-jobs' ), Math.floor( seconds / 60 ), seconds % 60 );
		}
		/* translators: 1: hours, 2: minutes */
		return sprintf( __( '%1$d h %2$d min', 'kb-jobs' ), Math.floor( seconds / 3600 ), Math.floor( ( seconds % 3600 ) / 60 ) );
	}

	/** As KBJobs_Admin_Job::rate_text(). */
	function rateText( rate ) {
		if ( null === rate || undefined === rate ) {
			return '—';
		}
		/* translators: %s: items per second */
		return sprintf( __( '%s items/s', 'kb-jobs' ), number( rate, rate < 10 ? 2 : 1 ) );
	}

	/** Shows the action buttons that apply to the job in its status. */
	function showActions( job ) {
		document.querySelectorAll( '.kbjobs-when[data-kbjobs-when]' ).forEach( function ( el ) {
			var states = el.getAttribute( 'data-kbjobs-when' ).split( ' ' );
			var applies = -1 !== states.indexOf( job.status );
			if ( el.classList.contains( 'kbjobs-action-cancel' ) && job.cancel_requested ) {
				applies = false;
			}
			el.hidden = ! applies;
		} );
	}

	/** The job's new state. Returns false once it is finished (polling stops). */
	function updateJob( job ) {
		var statusEl = field( 'status' );
		if ( statusEl ) {
			setText( statusEl, ( config.statusLabels && config.statusLabels[ job.status ] ) || job.status );
			statusEl.className = 'kbjobs-status kbjobs-status-' + String( job.status ).replace( /[^a-z]/g, '' );
		}
		var progress = field( 'progress' );
		if ( progress ) {
			var done = Number( job.progress_done ) || 0;
			var total = Number( job.progress_total ) || 0;
			var percent = total > 0 ? Math.min( 100, Math.floor( ( 100 * done ) / total ) ) : 0;
			var bar = progress.querySelector( 'progress' );
			if ( bar ) {
				bar.value = percent;
				bar.textContent = percent + '%';
				/* translators: %d: percent done */
				bar.setAttribute( 'aria-label', sprintf( __( '%d%% done', 'kb-jobs' ), percent ) );
			}
			setText( progress.querySelector( '.kbjobs-progress-text' ), total > 0 ? number( done ) + ' / ' + number( total ) : number( done ) );
		}
		setText( field( 'phase' ), job.phase || '' );
		setText( field( 'rate' ), rateText( job.rate ) );
		setText( field( 'eta' ), 'running' === job.status && null !== job.eta_seconds ? duration( job.eta_seconds ) : '—' );
		setText( field( 'attempts' ), number( job.attempts ) + ' / ' + number( job.max_attempts ) );

		var waiting = field( 'waiting' );
		if ( waiting ) {
			waiting.hidden = ! job.waiting;
			if ( job.waiting ) {
				var message = String( job.waiting.message || job.waiting.code || '' );
				setText( field( 'waiting.message' ), message ? message.charAt( 0 ).toUpperCase() + message.slice( 1 ) + '.' : '' );
			}
		}
		var error = field( 'error' );
		if ( error ) {
			error.hidden = ! job.error;
			setText( field( 'error.text' ), job.error || '' );
		}
		showActions( job );

		if ( job.status !== status ) {
			status = job.status;
			root.setAttribute( 'data-kbjobs-status', status );
			if ( -1 !== FINISHED.indexOf( status ) ) {
				finished = true;
				var changed = document.querySelector( '.kbjobs-job-changed' );
				if ( changed ) {
					/* translators: %s: the job's new status */
					setText( field( 'changed' ), sprintf( __( 'The job is now %s.', 'kb-jobs' ), ( config.statusLabels && config.statusLabels[ status ] ) || status ) );
					changed.hidden = false;
				}
			}
		}
		return ! finished;
	}

	// ---- the log --------------------------------------------------------------------

	var log = document.querySelector( '.kbjobs-log' );
	var list = log && log.querySelector( '.kbjobs-log-lines' );
	var cursor = log ? parseInt( log.getAttribute( 'data-kbjobs-log-cursor' ), 10 ) || 0 : 0;
	var statusNote = document.querySelector( '.kbjobs-log-status' );

	/** As KBJobs_Admin_Job::log_line_text(). */
	function lineText( line ) {
		var text = String( line.ts || '' ) + ' ' + String( line.level || '' ) + ' ' + String( line.msg || '' );
		if ( line.ctx && 'object' === typeof line.ctx && Object.keys( line.ctx ).length ) {
			text += ' ' + JSON.stringify( line.ctx );
		}
		return text;
	}

	/** Appends lines, following the end only when the reader was there. */
	function appendLines( lines ) {
		if ( ! lines.length ) {
			return;
		}
		var atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 4;
		var fragment = document.createDocumentFragment();
		lines.forEach( function ( line ) {
			var li = document.createElement( 'li' );
			li.className = 'kbjobs-log-' + String( line.level || '' ).replace( /[^A-Za-z0-9_-]/g, '' );
			li.textContent = lineText( line );
			fragment.appendChild( li );
		} );
		list.appendChild( fragment );
		var empty = log.querySelector( '.kbjobs-log-empty' );
		if ( empty ) {
			empty.hidden = true;
		}
		// Bounded: the oldest lines go, and the reader's view does not move.
		var extra = list.children.length - MAX_LINES;
		if ( extra > 0 ) {
			var before = log.scrollHeight;
			for ( var i = 0; i < extra; i++ ) {
				list.removeChild( list.firstElementChild );
			}
			if ( ! atBottom ) {
				log.scrollTop -= before - log.scrollHeight;
			}
		}
		if ( atBottom ) {
			log.scrollTop = log.scrollHeight;
		}
	}

	function allText() {
		return Array.prototype.map.call( list.children, function ( li ) {
			return li.textContent;
		} ).join( '\n' ) + ( list.children.length ? '\n' : '' );
	}

	function note( text ) {
		setText( statusNote, text );
	}

	if ( log && list ) {
		// Opened at the end, as a terminal.
		log.scrollTop = log.scrollHeight;
		var askedFinished = false;
		kb.poll(
			function () {
				askedFinished = finished;
				return '/kbjobs/v1/jobs/' + encodeURIComponent( id ) + '/logs?cursor=' + cursor;
			},
			2000,
			function ( data ) {
				appendLines( Array.isArray( data.lines ) ? data.lines : [] );
				if ( 'number' === typeof data.next_cursor && data.next_cursor >= cursor ) {
					cursor = data.next_cursor;
					log.setAttribute( 'data-kbjobs-log-cursor', String( cursor ) );
				}
				// A job finished before this read began writes no more: read to the end, stop.
				return ! ( askedFinished && data.eof );
			}
		);

		var copy = document.querySelector( '.kbjobs-log-copy' );
		if ( copy ) {
			copy.addEventListener( 'click', function () {
				var text = allText();
				var done = function () {
					note( __( 'Copied.', 'kb-jobs' ) );
				};
				var fallback = function () {
					var area = document.createElement( 'textarea' );
					area.value = text;
					area.setAttribute( 'readonly', '' );
					area.style.position = 'fixed';
					area.style.left = '-9999px';
					document.body.appendChild( area );
					area.select();
					var ok = false;
					try {
						ok = document.execCommand( 'copy' );
					} catch ( e ) {
						ok = false;
					}
					document.body.removeChild( area );
					note( ok ? __( 'Copied.', 'kb-jobs' ) : __( 'The browser refused to copy.', 'kb-jobs' ) );
				};
				if ( navigator.clipboard && window.isSecureContext ) {
					navigator.clipboard.writeText( text ).then( done, fallback );
				} else {
					fallback();
				}
			} );
		}
		var download = document.querySelector( '.kbjobs-log-download' );
		if ( download ) {
			download.addEventListener( 'click', function () {
				var blob = new Blob( [ allText() ], { type: 'text/plain;charset=utf-8' } );
				var url = URL.createObjectURL( blob );
				var a = document.createElement( 'a' );
				a.href = url;
				a.download = 'kbjobs-' + id + '.log';
				document.body.appendChild( a );
				a.click();
				document.body.removeChild( a );
				window.setTimeout( function () {
					URL.revokeObjectURL( url );
				}, 1000 );
			} );
		}
	}

	if ( ! finished ) {
		kb.poll( '/kbjobs/v1/jobs/' + encodeURIComponent( id ), 5000, updateJob );
	}
}() );
