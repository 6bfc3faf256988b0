/**
 * The Job Builder (KBJobs_Admin_Builder renders the frame; window.kbjobsBuilder holds the
 * job types and the saved templates):
 *
 * - the palette: the types by category, a button each, adding a step;
 * - the steps: each with its type, an integer weight, Move up / Move down / Remove, and a
 *   params form drawn from the type's JSON Schema (string, integer, number, boolean,
 *   enum, arrays of strings as one per line; defaults filled in; required fields
 *   marked); reordered by drag and drop, or with Alt+ArrowUp / Alt+ArrowDown on a
 *   focused step; every move is announced through an aria-live region;
 * - weights: an even split (34/33/33) whenever a step is added or removed, editable;
 * - validation by the engine (POST /kbjobs/v1/chains/validate), after each change and
 *   on Validate: each error and warning is shown beside the steps it names, the others
 *   under the chain;
 * - Run Chain (POST /chains/run), then the combined job's page;
 * - templates (GET/POST /chain-templates, PUT/DELETE /chain-templates/{id}).
 *
 * Every text from the server is set with textContent, never as HTML.
 */
( function () {
	'use strict';

	var root = document.getElementById( 'kbjobs-builder' );
	var config = window.kbjobsBuilder;
	var apiFetch = window.wp && window.wp.apiFetch;
	var i18n = window.wp && window.wp.i18n;
	if ( ! root || ! config || ! apiFetch ) {
		return;
	}
	var __ = i18n ? i18n.__ : function ( s ) { return s; };
	var sprintf = i18n ? i18n.sprintf : function ( s ) { return s; };
	var _n = i18n ? i18n._n : function ( one, many, n ) { return 1 === n ? one : many; };

	var types = {};
	config.types.forEach( function ( t ) {
		types[ t.name ] = t;
	} );
	var templates = config.templates || [];
	var steps = []; // { uid, type, values: { prop: value }, json: string, weight, open, messages }
	var nextUid = 1;
	var dragFrom = -1;
	var validateTimer = null;
	var validateSeq = 0;

	var el = {
		palette: root.querySelector( '[data-kbjobs-palette]' ),
		steps: root.querySelector( '[data-kbjobs-steps]' ),
		empty: root.querySelector( '[data-kbjobs-empty]' ),
		weights: root.querySelector( '[data-kbjobs-weights]' ),
		chainMessages: root.querySelector( '[data-kbjobs-chain-messages]' ),
		queue: root.querySelector( '[data-kbjobs-queue]' ),
		validate: root.querySelector( '[data-kbjobs-validate]' ),
		run: root.querySelector( '[data-kbjobs-run]' ),
		name: root.querySelector( '[data-kbjobs-template-name]' ),
		save: root.querySelector( '[data-kbjobs-save]' ),
		list: root.querySelector( '[data-kbjobs-templates]' ),
		load: root.querySelector( '[data-kbjobs-load]' ),
		rename: root.querySelector( '[data-kbjobs-rename]' ),
		del: root.querySelector( '[data-kbjobs-delete]' ),
		announce: root.querySelector( '[data-kbjobs-announce]' ),
		status: root.querySelector( '[data-kbjobs-status]' ),
	};

	function make( tag, attrs, text ) {
		var node = document.createElement( tag );
		Object.keys( attrs || {} ).forEach( function ( k ) {
			node.setAttribute( k, attrs[ k ] );
		} );
		if ( undefined !== text && null !== text ) {
			node.textContent = String( text );
		}
		return node;
	}

	function announce( text ) {
		// Cleared first, so the same sentence twice is read twice.
		el.announce.textContent = '';
		window.setTimeout( function () {
			el.announce.textContent = text;
		}, 50 );
	}

	function setStatus( text, isError ) {
		el.status.textContent = text;
		el.status.className = 'kbjobs-builder-status' + ( isError ? ' kbjobs-error' : '' );
	}

	function label( type ) {
		return types[ type ] ? types[ type ].label || type : type;
	}

	function errorText( err ) {
		return ( err && err.message ) || __( 'The request failed.', 'kb-jobs' );
	}

	/* ---- schema forms ---- */

	function schemaOf( type ) {
		var s = types[ type ] && types[ type ].schema;
		return s && 'object' === typeof s && s.properties && 'object' === typeof s.properties ? s : null;
	}

	function kindOf( prop ) {
		var t = Array.isArray( prop.type ) ? prop.type.filter( function ( x ) { return 'null' !== x; } )[ 0 ] : prop.type;
		if ( Array.isArray( prop.enum ) ) {
			return 'enum';
		}
		if ( 'array' === t && prop.items && 'string' === prop.items.type ) {
			return 'lines';
		}
		if ( 'string' === t || 'integer' === t || 'number' === t || 'boolean' === t ) {
			return t;
		}
		return 'json';
	}

	/** A step's starting values: each property's default, as its field shows it. */
	function defaults( type ) {
		var schema = schemaOf( type );
		var values = {};
		if ( ! schema ) {
			return values;
		}
		Object.keys( schema.properties ).forEach( function ( name ) {
			var prop = schema.properties[ name ] || {};
			if ( ! Object.prototype.hasOwnProperty.call( prop, 'default' ) ) {
				return;
			}
			values[ name ] = toField( kindOf( prop ), prop.default );
		} );
		return values;
	}

	function toField( kind, value ) {
		if ( 'boolean' === kind ) {
			return !! value;
		}
		if ( 'lines' === kind ) {
			return Array.isArray( value ) ? value.join( '\n' ) : '';
		}
		if ( 'json' === kind || ( 'enum' === kind && 'string' !== typeof value ) ) {
			return JSON.stringify( value );
		}
		return null === value || undefined === value ? '' : String( value );
	}

	/** A step's params from its fields; throws an Error naming a field that does not parse. */
	function paramsOf( step ) {
		var schema = schemaOf( step.type );
		if ( ! schema ) {
			var text = ( step.json || '' ).trim();
			if ( '' === text ) {
				return {};
			}
			var parsed = JSON.parse( text );
			if ( ! parsed || 'object' !== typeof parsed || Array.isArray( parsed ) ) {
				throw new Error( __( 'params must be a JSON object', 'kb-jobs' ) );
			}
			return parsed;
		}
		var params = {};
		Object.keys( schema.properties ).forEach( function ( name ) {
			var prop = schema.properties[ name ] || {};
			var kind = kindOf( prop );
			var v = step.values[ name ];
			if ( 'boolean' === kind ) {
				if ( undefined !== v ) {
					params[ name ] = !! v;
				}
				return;
			}
			if ( undefined === v || '' === String( v ).trim() ) {
				return; // Left out: the engine fills in its default or reports it missing.
			}
			if ( 'integer' === kind || 'number' === kind ) {
				var n = Number( v );
				params[ name ] = isNaN( n ) ? v : n; // Not a number: the engine names the field.
			} else if ( 'lines' === kind ) {
				params[ name ] = String( v ).split( '\n' ).map( function ( s ) { return s.trim(); } ).filter( Boolean );
			} else if ( 'enum' === kind ) {
				var plain = prop.enum.some( function ( e ) { return e === v; } );
				params[ name ] = plain ? v : JSON.parse( v );
			} else if ( 'json' === kind ) {
				try {
					params[ name ] = JSON.parse( v );
				} catch ( e ) {
					throw new Error( sprintf( __( '%s is not valid JSON', 'kb-jobs' ), name ) );
				}
			} else {
				params[ name ] = String( v );
			}
		} );
		return params;
	}

	/** The params form of step i. */
	function form( step, i ) {
		var box = make( 'div', { 'class': 'kbjobs-step-params', id: 'kbjobs-step-params-' + step.uid } );
		box.hidden = ! step.open;
		var schema = schemaOf( step.type );
		if ( ! schema ) {
			var id = 'kbjobs-p-' + step.uid + '-json';
			box.appendChild( make( 'label', { 'for': id }, __( 'Params (a JSON object)', 'kb-jobs' ) ) );
			var ta = make( 'textarea', { id: id, rows: '3', 'class': 'large-text code' } );
			ta.value = step.json || '';
			ta.addEventListener( 'input', function () {
				step.json = ta.value;
				changed();
			} );
			box.appendChild( ta );
			return box;
		}
		var required = Array.isArray( schema.required ) ? schema.required : [];
		Object.keys( schema.properties ).forEach( function ( name ) {
			var prop = schema.properties[ name ] || {};
			var kind = kindOf( prop );
			var fid = 'kbjobs-p-' + step.uid + '-' + name.replace( /[^a-z0-9_-]/gi, '_' );
			var row = make( 'p', { 'class': 'kbjobs-param kbjobs-param-' + kind } );
			var isRequired = -1 !== required.indexOf( name );
			var lab = make( 'label', { 'for': fid }, prop.title || name );
			if ( isRequired ) {
				lab.appendChild( make( 'span', { 'class': 'kbjobs-required', 'aria-hidden': 'true' }, ' *' ) );
			}
			var input;
			if ( 'boolean' === kind ) {
				input = make( 'input', { type: 'checkbox', id: fid } );
				input.checked = !! step.values[ name ];
				row.appendChild( input );
				row.appendChild( document.createTextNode( ' ' ) );
				row.appendChild( lab );
			} else {
				if ( 'enum' === kind ) {
					input = make( 'select', { id: fid } );
					if ( ! isRequired || ! Object.prototype.hasOwnProperty.call( prop, 'default' ) ) {
						input.appendChild( make( 'option', { value: '' }, __( '(not set)', 'kb-jobs' ) ) );
					}
					prop.enum.forEach( function ( e ) {
						var v = 'string' === typeof e ? e : JSON.stringify( e );
						input.appendChild( make( 'option', { value: v }, v ) );
					} );
				} else if ( 'lines' === kind || 'json' === kind ) {
					input = make( 'textarea', { id: fid, rows: '3', 'class': 'large-text' + ( 'json' === kind ? ' code' : '' ) } );
				} else {
					input = make( 'input', { id: fid, type: 'integer' === kind || 'number' === kind ? 'number' : 'text', 'class': 'regular-text' } );
					if ( 'integer' === kind ) {
						input.setAttribute( 'step', '1' );
					} else if ( 'number' === kind ) {
						input.setAttribute( 'step', 'any' );
					}
					if ( 'number' === typeof prop.minimum ) {
						input.setAttribute( 'min', String( prop.minimum ) );
					}
					if ( 'number' === typeof prop.maximum ) {
						input.setAttribute( 'max', String( prop.maximum ) );
					}
					if ( 'number' === typeof prop.maxLength ) {
						input.setAttribute( 'maxlength', String( prop.maxLength ) );
					}
				}
				input.value = undefined === step.values[ name ] ? '' : String( step.values[ name ] );
				row.appendChild( lab );
				row.appendChild( make( 'br' ) );
				row.appendChild( input );
			}
			if ( isRequired ) {
				input.setAttribute( 'aria-required', 'true' );
			}
			var hint = [];
			if ( prop.description ) {
				hint.push( prop.description );
			}
			if ( 'lines' === kind ) {
				hint.push( __( 'One a line.', 'kb-jobs' ) );
			}
			if ( hint.length ) {
				var did = fid + '-desc';
				row.appendChild( make( 'span', { 'class': 'description', id: did }, ' ' + hint.join( ' ' ) ) );
				input.setAttribute( 'aria-describedby', did );
			}
			input.setAttribute( 'data-kbjobs-param', name );
			input.addEventListener( 'boolean' === kind || 'enum' === kind ? 'change' : 'input', function () {
				step.values[ name ] = 'boolean' === kind ? input.checked : input.value;
				changed();
			} );
			box.appendChild( row );
		} );
		if ( required.length ) {
			box.appendChild( make( 'p', { 'class': 'description' }, __( '* required', 'kb-jobs' ) ) );
		}
		return box;
	}

	/* ---- steps ---- */

	/** Even split of 100 over n steps, the remainder to the first ones: 34/33/33. */
	function rebalance() {
		var n = steps.length;
		steps.forEach( function ( s, i ) {
			s.weight = Math.floor( 100 / n ) + ( i < 100 % n ? 1 : 0 );
		} );
	}

	function addStep( type, values, weight, json ) {
		steps.push( {
			uid: nextUid++,
			type: type,
			values: values || defaults( type ),
			json: json || '',
			weight: weight,
			open: false,
			messages: [],
		} );
	}

	function move( from, to, how ) {
		if ( to < 0 || to >= steps.length || from === to ) {
			return;
		}
		var step = steps.splice( from, 1 )[ 0 ];
		steps.splice( to, 0, step );
		render( step.uid, how );
		/* translators: 1: step's job type label, 2: its new position, 3: number of steps */
		announce( sprintf( __( 'Moved %1$s to position %2$d of %3$d.', 'kb-jobs' ), label( step.type ), to + 1, steps.length ) );
		changed();
	}

	function stepItem( step, i ) {
		var li = make( 'li', {
			'class': 'kbjobs-step',
			tabindex: '0',
			draggable: 'true',
			'data-kbjobs-step': String( i ),
			'data-kbjobs-type': step.type,
			/* translators: 1: position, 2: job type label */
			'aria-label': sprintf( __( 'Step %1$d: %2$s. Alt+Up or Alt+Down moves it.', 'kb-jobs' ), i + 1, label( step.type ) ),
		} );
		var head = make( 'div', { 'class': 'kbjobs-step-head' } );
		head.appendChild( make( 'span', { 'class': 'kbjobs-step-handle dashicons dashicons-menu', 'aria-hidden': 'true', title: __( 'Drag to reorder', 'kb-jobs' ) } ) );
		var toggle = make( 'button', { type: 'button', 'class': 'button-link kbjobs-step-toggle', 'aria-expanded': step.open ? 'true' : 'false', 'aria-controls': 'kbjobs-step-params-' + step.uid } );
		toggle.appendChild( make( 'span', { 'class': 'kbjobs-step-n' }, ( i + 1 ) + '. ' ) );
		toggle.appendChild( make( 'strong', {}, label( step.type ) ) );
		toggle.appendChild( make( 'span', { 'class': 'kbjobs-muted' }, ' ' + step.type ) );
		toggle.addEventListener( 'click', function () {
			step.open = ! step.open;
			toggle.setAttribute( 'aria-expanded', step.open ? 'true' : 'false' );
			li.querySelector( '.kbjobs-step-params' ).hidden = ! step.open;
		} );
		head.appendChild( toggle );

		var wid = 'kbjobs-w-' + step.uid;
		var wl = make( 'label', { 'for': wid, 'class': 'kbjobs-step-weight' }, __( 'Weight', 'kb-jobs' ) + ' ' );
		var w = make( 'input', { id: wid, type: 'number', min: '1', max: '100', step: '1', 'class': 'small-text', 'data-kbjobs-weight': '' } );
		w.value = String( step.weight );
		w.addEventListener( 'input', function () {
			step.weight = parseInt( w.value, 10 );
			showWeights();
			changed();
		} );
		wl.appendChild( w );
		head.appendChild( wl );

		[
			[ 'up', __( 'Move up', 'kb-jobs' ), i - 1, 0 === i ],
			[ 'down', __( 'Move down', 'kb-jobs' ), i + 1, i === steps.length - 1 ],
		].forEach( function ( b ) {
			var btn = make( 'button', { type: 'button', 'class': 'button button-small', 'data-kbjobs-move': b[ 0 ] }, b[ 1 ] );
			btn.disabled = b[ 3 ];
			btn.addEventListener( 'click', function () {
				move( steps.indexOf( step ), b[ 2 ], b[ 0 ] );
			} );
			head.appendChild( btn );
		} );
		var rm = make( 'button', { type: 'button', 'class': 'button button-small button-link-delete', 'data-kbjobs-remove': '' }, __( 'Remove', 'kb-jobs' ) );
		rm.addEventListener( 'click', function () {
			steps.splice( steps.indexOf( step ), 1 );
			rebalance();
			render();
			/* translators: %s: job type label */
			announce( sprintf( __( 'Removed %s; weights split evenly again.', 'kb-jobs' ), label( step.type ) ) );
			changed();
		} );
		head.appendChild( rm );
		li.appendChild( head );

		var msgs = make( 'ul', { 'class': 'kbjobs-step-messages', 'data-kbjobs-step-messages': '' } );
		step.messages.forEach( function ( m ) {
			msgs.appendChild( make( 'li', { 'class': 'kbjobs-' + m.level }, m.message ) );
		} );
		li.appendChild( msgs );
		li.appendChild( form( step, i ) );

		li.addEventListener( 'keydown', function ( e ) {
			if ( e.target !== li || ! e.altKey || ( 'ArrowUp' !== e.key && 'ArrowDown' !== e.key ) ) {
				return;
			}
			e.preventDefault();
			var at = steps.indexOf( step );
			move( at, 'ArrowUp' === e.key ? at - 1 : at + 1, 'key' );
		} );
		li.addEventListener( 'dragstart', function ( e ) {
			if ( e.target !== li ) {
				return;
			}
			dragFrom = steps.indexOf( step );
			li.classList.add( 'kbjobs-dragging' );
			e.dataTransfer.effectAllowed = 'move';
			e.dataTransfer.setData( 'text/plain', String( dragFrom ) );
		} );
		li.addEventListener( 'dragend', function () {
			li.classList.remove( 'kbjobs-dragging' );
			dragFrom = -1;
		} );
		li.addEventListener( 'dragover', function ( e ) {
			if ( dragFrom >= 0 ) {
				e.preventDefault();
				e.dataTransfer.dropEffect = 'move';
			}
		} );
		li.addEventListener( 'drop', function ( e ) {
			if ( dragFrom < 0 ) {
				return;
			}
			e.preventDefault();
			var from = dragFrom;
			dragFrom = -1;
			move( from, steps.indexOf( step ), 'drag' );
		} );
		return li;
	}

	/** Draws the steps; focus goes back to the step uid (moved) or its button (how). */
	function render( focusUid, how ) {
		el.steps.replaceChildren.apply( el.steps, steps.map( stepItem ) );
		el.empty.hidden = steps.length > 0;
		showWeights();
		if ( focusUid ) {
			var at = steps.findIndex( function ( s ) { return s.uid === focusUid; } );
			var li = el.steps.children[ at ];
			var btn = li && ( 'up' === how || 'down' === how ) ? li.querySelector( '[data-kbjobs-move="' + how + '"]' ) : null;
			( btn && ! btn.disabled ? btn : li ).focus();
		}
	}

	function showWeights() {
		var sum = steps.reduce( function ( a, s ) { return a + ( isNaN( s.weight ) ? 0 : s.weight ); }, 0 );
		/* translators: %d: the sum of the steps' weights */
		el.weights.textContent = steps.length ? sprintf( __( 'Weights sum to %d (they must sum to 100).', 'kb-jobs' ), sum ) : '';
		el.weights.classList.toggle( 'kbjobs-error', steps.length > 0 && 100 !== sum );
	}

	/* ---- validation, run ---- */

	/** The steps as the REST API takes them; throws an Error naming the step that does not parse. */
	function payload() {
		return steps.map( function ( s, i ) {
			var params;
			try {
				params = paramsOf( s );
			} catch ( e ) {
				/* translators: 1: step number, 2: what is wrong */
				throw new Error( sprintf( __( 'Step %1$d: %2$s.', 'kb-jobs' ), i + 1, e.message ) );
			}
			return { type: s.type, params: params, weight: isNaN( s.weight ) ? 0 : s.weight };
		} );
	}

	function showReport( report ) {
		steps.forEach( function ( s ) {
			s.messages = [];
		} );
		var general = [];
		[ [ 'error', report.errors || [] ], [ 'warning', report.warnings || [] ] ].forEach( function ( pair ) {
			pair[ 1 ].forEach( function ( m ) {
				var item = { level: pair[ 0 ], message: m.message };
				var placed = false;
				( m.steps || [] ).forEach( function ( i ) {
					if ( steps[ i ] ) {
						steps[ i ].messages.push( item );
						placed = true;
					}
				} );
				if ( ! placed ) {
					general.push( item );
				}
			} );
		} );
		el.steps.querySelectorAll( '[data-kbjobs-step-messages]' ).forEach( function ( ul, i ) {
			ul.replaceChildren.apply( ul, ( steps[ i ] ? steps[ i ].messages : [] ).map( function ( m ) {
				return make( 'li', { 'class': 'kbjobs-' + m.level }, m.message );
			} ) );
		} );
		el.chainMessages.replaceChildren.apply( el.chainMessages, general.map( function ( m ) {
			var div = make( 'div', { 'class': 'notice inline notice-' + m.level } );
			div.appendChild( make( 'p', {}, m.message ) );
			return div;
		} ) );
	}

	function validate( now ) {
		window.clearTimeout( validateTimer );
		if ( ! steps.length ) {
			showReport( { errors: [], warnings: [] } );
			setStatus( '' );
			return Promise.resolve( null );
		}
		var seq = ++validateSeq;
		var body;
		try {
			body = { steps: payload() };
		} catch ( e ) {
			showReport( { errors: [ { message: e.message, steps: [] } ], warnings: [] } );
			return Promise.resolve( null );
		}
		if ( now ) {
			setStatus( __( 'Validating…', 'kb-jobs' ) );
		}
		return apiFetch( { path: '/kbjobs/v1/chains/validate', method: 'POST', data: body } ).then( function ( report ) {
			if ( seq !== validateSeq ) {
				return null; // A later change asked again: that answer counts.
			}
			showReport( report );
			var text = report.valid
				? ( report.warnings.length
					/* translators: %d: number of warnings */
					? sprintf( _n( 'The chain is valid, with %d warning.', 'The chain is valid, with %d warnings.', report.warnings.length, 'kb-jobs' ), report.warnings.length )
					: __( 'The chain is valid.', 'kb-jobs' ) )
				/* translators: %d: number of errors */
				: sprintf( _n( 'The chain has %d error.', 'The chain has %d errors.', report.errors.length, 'kb-jobs' ), report.errors.length );
			setStatus( text, ! report.valid );
			return report;
		} ).catch( function ( err ) {
			setStatus( errorText( err ), true );
			return null;
		} );
	}

	/** After any change: validate once the user pauses. */
	function changed() {
		window.clearTimeout( validateTimer );
		validateTimer = window.setTimeout( function () {
			validate( false );
		}, 300 );
	}

	el.validate.addEventListener( 'click', function () {
		validate( true );
	} );

	el.run.addEventListener( 'click', function () {
		var body;
		try {
			body = { steps: payload(), queue: el.queue.value.trim() };
		} catch ( e ) {
			setStatus( e.message, true );
			return;
		}
		el.run.disabled = true;
		setStatus( __( 'Submitting the chain…', 'kb-jobs' ) );
		apiFetch( { path: '/kbjobs/v1/chains/run', method: 'POST', data: body } ).then( function ( done ) {
			/* translators: %s: job id */
			setStatus( sprintf( __( 'Submitted as job %s; opening it…', 'kb-jobs' ), done.id ) );
			window.location.assign( done.url );
		} ).catch( function ( err ) {
			if ( err && err.data && err.data.errors ) {
				showReport( err.data );
			}
			setStatus( errorText( err ), true );
			el.run.disabled = false;
		} );
	} );

	/* ---- templates ---- */

	function showTemplates( selectId ) {
		el.list.replaceChildren.apply( el.list, templates.map( function ( t ) {
			var o = make( 'option', { value: String( t.id ) }, t.name );
			o.selected = t.id === selectId;
			return o;
		} ) );
		if ( ! templates.length ) {
			el.list.appendChild( make( 'option', { value: '' }, __( '(none saved)', 'kb-jobs' ) ) );
		}
		var none = ! templates.length;
		el.load.disabled = none;
		el.rename.disabled = none || ! config.canOperate;
		el.del.disabled = none || ! config.canOperate;
	}

	function refreshTemplates( selectId ) {
		return apiFetch( { path: '/kbjobs/v1/chain-templates' } ).then( function ( list ) {
			templates = list;
			showTemplates( selectId );
		} );
	}

	function selected() {
		var id = parseInt( el.list.value, 10 );
		return templates.find( function ( t ) { return t.id === id; } ) || null;
	}

	el.save.addEventListener( 'click', function () {
		var name = el.name.value.trim();
		var body;
		if ( '' === name ) {
			setStatus( __( 'Give the template a name.', 'kb-jobs' ), true );
			el.name.focus();
			return;
		}
		try {
			body = { name: name, steps: payload(), queue: el.queue.value.trim() };
		} catch ( e ) {
			setStatus( e.message, true );
			return;
		}
		apiFetch( { path: '/kbjobs/v1/chain-templates', method: 'POST', data: body } ).then( function ( t ) {
			/* translators: %s: template name */
			setStatus( sprintf( __( 'Saved the template "%s".', 'kb-jobs' ), t.name ) );
			return refreshTemplates( t.id );
		} ).catch( function ( err ) {
			setStatus( errorText( err ), true );
		} );
	} );

	el.load.addEventListener( 'click', function () {
		var t = selected();
		if ( ! t ) {
			return;
		}
		steps = [];
		t.steps.forEach( function ( s ) {
			var schema = schemaOf( s.type );
			var values = {};
			var json = '';
			if ( schema ) {
				values = defaults( s.type );
				Object.keys( s.params || {} ).forEach( function ( k ) {
					var prop = schema.properties[ k ];
					values[ k ] = toField( prop ? kindOf( prop ) : 'json', s.params[ k ] );
				} );
			} else {
				json = Object.keys( s.params || {} ).length ? JSON.stringify( s.params ) : '';
			}
			addStep( s.type, values, s.weight, json );
		} );
		el.queue.value = t.queue || '';
		el.name.value = t.name;
		render();
		/* translators: 1: template name, 2: number of steps */
		setStatus( sprintf( __( 'Loaded "%1$s" (%2$d steps).', 'kb-jobs' ), t.name, steps.length ) );
		validate( false );
	} );

	el.rename.addEventListener( 'click', function () {
		var t = selected();
		var name = el.name.value.trim();
		if ( ! t || '' === name ) {
			setStatus( __( 'Choose a template and type its new name above.', 'kb-jobs' ), true );
			return;
		}
		apiFetch( { path: '/kbjobs/v1/chain-templates/' + t.id, method: 'PUT', data: { name: name } } ).then( function ( done ) {
			/* translators: 1: old name, 2: new name */
			setStatus( sprintf( __( 'Renamed "%1$s" to "%2$s".', 'kb-jobs' ), t.name, done.name ) );
			return refreshTemplates( done.id );
		} ).catch( function ( err ) {
			setStatus( errorText( err ), true );
		} );
	} );

	el.del.addEventListener( 'click', function () {
		var t = selected();
		/* translators: %s: template name */
		if ( ! t || ! window.confirm( sprintf( __( 'Delete the template "%s" for everyone?', 'kb-jobs' ), t.name ) ) ) {
			return;
		}
		apiFetch( { path: '/kbjobs/v1/chain-templates/' + t.id, method: 'DELETE' } ).then( function () {
			/* translators: %s: template name */
			setStatus( sprintf( __( 'Deleted the template "%s".', 'kb-jobs' ), t.name ) );
			return refreshTemplates( 0 );
		} ).catch( function ( err ) {
			setStatus( errorText( err ), true );
		} );
	} );

	/* ---- palette ---- */

	function palette() {
		var byCat = {};
		config.types.forEach( function ( t ) {
			( byCat[ t.category ] = byCat[ t.category ] || [] ).push( t );
		} );
		Object.keys( byCat ).sort().forEach( function ( cat ) {
			var group = make( 'div', { 'class': 'kbjobs-palette-group', role: 'group', 'aria-label': cat } );
			group.appendChild( make( 'h3', {}, cat ) );
			byCat[ cat ].forEach( function ( t ) {
				var b = make( 'button', { type: 'button', 'class': 'button kbjobs-palette-type', 'data-kbjobs-add': t.name, title: t.name } );
				b.appendChild( make( 'span', { 'class': 'screen-reader-text' }, __( 'Add', 'kb-jobs' ) + ' ' ) );
				b.appendChild( document.createTextNode( t.label || t.name ) );
				b.addEventListener( 'click', function () {
					addStep( t.name );
					rebalance();
					render();
					/* translators: 1: job type label, 2: number of steps */
					announce( sprintf( __( 'Added %1$s as step %2$d; weights split evenly.', 'kb-jobs' ), t.label || t.name, steps.length ) );
					changed();
				} );
				group.appendChild( b );
			} );
			el.palette.appendChild( group );
		} );
		if ( config.error ) {
			var n = make( 'div', { 'class': 'notice notice-error inline' } );
			n.appendChild( make( 'p', {}, config.error ) );
			el.palette.appendChild( n );
		}
	}

	if ( ! config.canOperate ) {
		[ el.run, el.save ].forEach( function ( b ) {
			b.disabled = true;
			b.title = __( 'You need the kbjobs_operate capability.', 'kb-jobs' );
		} );
	}
	palette();
	showTemplates( 0 );
	render();
	root.hidden = false;
}() );
