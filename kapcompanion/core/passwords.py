"""One-time passphrases: words a person can read aloud and write down without mistakes.

A transfer bundle (``export.transfer``) is protected by a passphrase used once. When the user
gives none, :func:`one_time_passphrase` draws words with ``secrets`` from the list below (common,
concrete English words of 3 to 9 letters, each once, lower case) until the phrase carries at
least {MIN_BITS} bits of entropy: six words from these 2,136 give about 66 bits. The key is
stretched with scrypt on top of that (``export.transfer``), so guessing stays out of reach.
"""

from __future__ import annotations

import math
import secrets

MIN_BITS = 64

_WORDS = """
abacus abbey able accent acid acorn acre acrobat action active actor adapt adobe adult advice
aerial affair again aged agenda agent agree ahead aim air airport airy aisle alarm album alcove
alert algae alive alley alloy almanac almond aloe alpha alpine alto amaze amber amble amigo
amount ample amused anchor angel angle animal ankle annual answer antique antler anvil anyway
apart apex applaud apple apricot april apron aqua arbor arcade arch archer arctic arena argon
argue arm armchair aroma arrow art artist ascent ash aside aspen asset astral athlete atlas
atom attend attic auburn auction audio august aunt author autumn avenue avian avid avocado
awake award awning axis axle baby back backpack bacon badge badger bagel bagpipe baker bakery
balance balcony ball balloon ballot bamboo banana band bandana bangle banjo bank banner banquet
barber bargain barley barn baron barrel basalt basil basin basket batch bath bazaar beach
beacon bead beagle beam bean beanie bear beaver bed beech beet beetle begin behold bell belt
bench beret berry beyond bicycle bike bingo birch bird birdie biscuit bison bistro blanket
blaze blazer blend blimp blink blissful bloom blossom blue blueprint blush board boat bobcat
body bolt bonfire bongo bonnet bonus book boost boot booth border borrow bottle boulder bounce
bowl box boxer bracket braid bramble brass brave bread breath breeze brick bricks bridge brief
bright brisk broad broccoli bronze brook broom brown brownie brush bubble bucket buckle
buckwheat bud buddy budget buffalo bugle build bulb bulldog bumper bundle bunker bunny burger
burlap burrow bush butler butter button buyer buzz cabbage cabin cable cactus cadet cafe cake
calendar calico caliper calm camel cameo camera camp campus canal canary candle candy canoe
canvas canyon cape capital captain car caramel caravan card cardigan cargo carnival carol
carpet carrot cart carve case cash cashew castle cat catalog catch cavern cedar celery celeste
cellar cello cement census ceramic cereal chair chalk chamber champion change channel chapel
chapter chariot charm chart cheese cheetah chef cherish cherry chess chest chestnut chick chili
chimney chimp chip chive choice chorus chowder cider cinema circle citizen citrus city civic
clam clap clarinet classic clay clean clear clever cliff climate climb clinic cloak clock cloth
cloud clover club cluster coach coast coat cobalt cobble cockpit cocoa coconut code coffee coin
collar collie color comet comfort comic comma common compass compost concert condor cone cook
cookie copper coral cord corn corner cornet costume cottage cotton couch cougar count country
county couple coupon course cousin cover cow coyote cozy crab cradle craft crafty cranberry
crane crater crayon cream creek crescent crew cricket crimson crisp crocus crop croquet crow
crown crumb crumble crust crystal cube cuckoo cup cupcake curator curly current curtain curve
cushion custard cutlery cycle cypress daily dairy daisy dance dandy dapper darling dash dawn
day dazzle decade decimal deck decor decoy deer degree delight delta demo denim dentist depot
desert design desk dessert detail devote dewdrop dial diamond diary diesel digit dimple dingo
dinner diploma direct disco dish distant diver divide dock doctor dog dolphin dome donkey
doodle door dorm dot doughnut dove downtown dozen draft dragon dragonfly drama drawer dream
dress drift drill drink drive drizzle drum dryer duck duet duffel dumpling dune dusk dust duty
duvet eager eagle early earnest earth easel east easter easy echo eclipse ecology edge edition
eel effort egg eggplant elastic elbow elder elegant elephant elevator elf elk elm ember emblem
emerald emerge empty emu enamel encore end energy engage engine enigma enjoy entry envelope
epic equal equator era errand escape espresso essay estate eternal even evening event exact
exhibit exit exotic expert expo extra fabric face facet fact factor factory fair fairway
falafel falcon fall family famous fancy fanfare faraway farm farmer fashion fast father fathom
fauna favor feast feather fedora felt fence fender fern ferry festival festive fetch fiber
fiddle field fiesta fig figure film filter final finch find finger fire firm first fiscal fish
fit flag flame flannel flapjack flash flat flavor fleet flicker flight flint flipper float
flock floor floral florist flour flower fluffy fluid flurry flute foam focus fog foil folk
fondue food foot footpath forage forest forever fork form fort fortune forum forward fossil
fountain fox fragrant frame freckle freedom fresh friend frisbee frog frolic front frost frosty
fruit fudge fuel fun fungus funny furnace future gable gadget gaggle gala galaxy gallery gallop
game gamma garage garden garlic garnet gate gauge gazebo gazelle gear gecko gem general genius
gentle geyser giant gift giggle ginger gingham giraffe glacier glad glass glaze gleam glide
glider glimmer globe glove glow glue goat goblet goggles gold golf gondola goose gopher gorilla
gourd gourmet gown grace grain granite granola grape graph grass gratitude gravel gravy great
green greeting grid griddle grill grizzly grocery groove grotto grove guard guest guide guitar
gulf gull gum gumbo gusto gypsum habit hacienda haiku halibut hall hallway halo hamlet hammer
hammock hamster hand handbag handle hangar happy harbor hard harmony harp harvest hat hatch
haven hawk hayride hazel head headway health heart hearth heat heather hedge helium helmet help
hemlock herb heritage hero heron hexagon hickory hidden high highway hike hill hilltop hinge
hint hippo hobby hockey holiday holly home homemade honey honeybee hood hook hope hopscotch
horizon horn hornet horse hosiery host hotdog hotel hour house hug human humble hummus hundred
hurry husky hut hybrid hydrant hymn ice iceberg icicle icon idea identity igloo iguana image
impact impala inch income index indigo infant ink inkwell inlet inner input insect inside
insight instant intake invent invite iodine iris iron island item ivory ivy jackal jacket
jackpot jade jaguar jam jamboree jar jargon jasmine jazz jeans jelly jetty jewel jigsaw jingle
job jockey jog join joke jolly jonquil journal journey jovial joy jubilee judge juice jukebox
july jumbo jump june jungle junior juniper jupiter jury just kale kangaroo karate kayak keen
keep kelp kernel ketchup kettle key keyboard keynote kickoff kid kimono kind king kingdom kiosk
kit kitchen kite kitten kiwi knack knapsack knee knight knit knob knot koala label lace ladder
lady lagoon lake lamb lamp land landmark lane lantern lap lapel large lasagna laser latch late
lattice laugh laurel lava lavender lawn layer lead leaf lean learn leather ledge ledger legacy
legend leisure lemon lemonade lens lentil leopard letter lettuce level lever liberty library
lid lifeboat light lilac lily lime limerick linden linen lineup lion lip liquid list little
lizard llama load loaf lobby lobster local lock locket lodge loft logbook logic lollipop long
loom loop lotion lotus loud lounge love loyal lucky lullaby lumber lumen lunar lunch luster
lyric macaw machine magenta magic magnet magpie mahogany mail main majestic major maker mallard
mammoth mandolin mango manor mantle map maple marathon marble march margin marigold marine
market marmot marquee marsh mascot mask mason mat match matinee mattress mayor meadow meal
meander measure medal medley mellow melody melon member memo mentor menu meringue merit merry
mesa message metal meteor meter method middle midnight migrate mild milestone milk mill million
mimic mind mineral minnow mint minute miracle mirror mist mitten mix model modern mohair molar
moment monarch monday monkey monsoon month moon moose morning mosaic moss moth motor motto
mountain mouse mouth movie mud muesli muffin mug mule mural muscle museum music muslin mustard
mystery nacho nail name napkin narrow narwhal nation native nature navigate navy near neat
nebula nectar needle neon nephew nest net new news next nice nickel night nimble nitrogen noble
noise nomad noodle noon normal north nose notch note nougat nova novel nugget number nurse
nursery nut nutmeg oak oasis oat oatmeal object oboe observe ocean ocelot octagon octave
october octopus odd offer office offset olive omega omelet onion onward opal open opera optic
optimal oracle orange orbit orbital orca orchard orchid order organ origin otter ounce outer
outlook outpost oval oven overlap owl owner oxford oxygen oyster pace paddle page paint pair
paisley pajamas palace palette palm pancake panda panel pansy panther pantry papaya paper
paprika parable parade parakeet parcel park parka parrot parsley partner party passage pasta
pastel pastry patent path patio patrol pause pavilion peace peach peacock peak peanut pear
pearl pebble pebbles pecan pedal pelican pen pencil pendant penguin pennant penny peony pepper
percent perch perfume permit person pet petal pewter pheasant phone photo phrase piano piccolo
pickle picnic pie pier pig pigeon pigment pillar pillow pilot pine pinecone pink pint pinwheel
pioneer pipe pistachio pitch pixel pizza place plaid plain planet plant plate platter play
plaza plenty plover plum plume plywood pocket poem poet point polar pole polka poncho pond pony
pool popcorn poppy porch porridge port portal poster potato potion pottery pouch powder prairie
praline precise premium press pretty pretzel price primrose prince print printer prism prize
profile promise prose proton proud prudent publish pudding puffin pulley pulse puma pump
pumpkin punch pupil puppy purple puzzle pyramid quail quaint quart quarter quartz quasar queen
quench quest quibble quick quiet quill quilt quiver quiz quokka quota rabbit raccoon race radar
radiant radio radish raft ragtime rail rain rainbow rainfall raisin rake rally rambler ramp
ranch range rapid raspberry raven ravioli ray razor reach read reading ready rebound recipe
recital record recycle red redwood reed reef reflex regatta region reindeer relax relay relic
remedy remote rental reptile rescue resort rest retreat retro revival rhubarb rhyme rhythm
ribbon rice rich ricotta riddle ride ridge right ring ringlet ripple river riverbed road
roadway roaster robin robot robust rock rocket rodeo roller romance roof room rooster root rope
rose rosemary rotate rotunda round route rover rowboat royal rubber rubble ruby rudder rug
ruler rumble runway rural rust rustic saddle safari safe saffron saga sage sail sailor salad
salmon salon salsa salt salute sample sand sandal sandbox sapphire sardine satchel satin saturn
sauce saucer sauna savanna savory scale scallop scarf scarlet scene scenic school schooner
science scone scoop scout screen script scroll sea seagull seal seashell season seat second
secret sedan seed segment sentence sequel sequin serene series service sesame sextet shadow
shallow shamrock shape share shark sheep shelf shell shelter sherbet shield shimmer shine ship
shirt shore short shortcut shovel shower shrub shuttle side sideways sierra signal signpost
silent silk silo silver simmer simple sincere singer siren sister sketch ski skill skirt sky
skyline slate sled sleep slice slide slipper slope slow small smile smoke smooth snack snail
snake snapshot snorkel snow snowman soap soccer sock sofa soft soil solar solid solstice
sombrero sonar sonnet sorbet sorrel soup south souvenir space spaniel spark sparkle sparrow
spatula speed spell sphere spice spider spin spinach spindle spinner spirit splash splendid
sponge spool spoon sport spot spring sprinkle sprout spruce square squash squid squirrel stable
stack stadium stage stair stallion stamp star stardust starfish start station statue steady
steam steel stem stencil step stereo stew stick still stingray stirrup stitch stone stool storm
story stove straw stream street stripe strong strudel studio sturdy suburb subway succulent
sugar suit suitcase summer summit sun sundial sunflower sunny sunrise sunset supper supply surf
surplus swallow swamp swan sweater sweet swift swim swing switch sycamore symbol symphony syrup
system tabby table tablet tackle taco tadpole tail tailor talent talon tamarind tambour tandem
tangerine tango tank tape tapestry target tartan task tassel taste tavern taxi tea teacher
teacup teakettle team teapot teddy teeth temple tempo tendon tennis tent term terrace textile
theater thimble thistle thread thrifty throne thumb thunder thyme tiara ticket tide tiger tile
timber time timely tinsel tiny tip titan toast toboggan today toe toffee token tomato tone tool
tooth topaz topic torch tornado tortoise total totem toucan touch tour towel tower town
townhouse toy track tractor trade trail train tram trapeze travel tray treasure treat tree
trellis trend trial tribe tributary trick tricycle trident trinket trio trolley trophy tropic
tropical trout truck truffle trumpet trunk trust tuba tuesday tugboat tulip tumble tuna tundra
tune tunnel turkey turnip turtle tutor tuxedo twig twilight twin type ukulele ultra umbrella
uncle under unicorn union unison unit upbeat update upper upright upstairs urban useful usual
utensil utmost vacuum valiant valley value van vanilla vapor vase vault velvet vendor venue
veranda verdant verse version vertex vessel vest veteran viaduct vicinity victory video view
villa village vine vintage viola violet violin virtue visit visor vista vital vivid vocal voice
volcano volume voucher voyage wafer waffle wagon waist walk walkway wall wallaby walnut walrus
wand wardrobe warm warmth wasabi washer watchful waterway wave wax way wealth weather weave
wedge week weekend welcome well west wetland whale wheat wheel whimsy whippet whisk whiskers
whistle white wide wild wildcat willow wind windmill window wing wingspan winter wire wiring
wisdom wise wish wishbone wizard wolf wombat wonder wood woodland wool word work workshop world
worth wrangler wreath wren wrist writer xylophone yacht yard yarn year yellow yeti yodel yoga
yogurt yonder young yucca yummy zealous zebra zenith zephyr zeppelin zero zest zigzag zinc
zinnia zipper zodiac zone zoom zucchini
"""

WORDS: tuple[str, ...] = tuple(_WORDS.split())


def words_needed(min_bits: int = MIN_BITS) -> int:
    return math.ceil(min_bits / math.log2(len(WORDS)))


def one_time_passphrase(min_bits: int = MIN_BITS) -> str:
    """Random words joined by hyphens (``maple-harbor-quilt-...``), at least ``min_bits``."""
    return "-".join(secrets.choice(WORDS) for _ in range(words_needed(min_bits)))


def entropy_bits(words: int) -> float:
    return words * math.log2(len(WORDS))
